import { isRaftError, type Index, type NodeId } from "@raft/core/contracts";
import { Prng } from "@raft/core/testing";
import { RaftNode, systemClock, type RaftNodeConfig } from "@raft/core/runtime";
import { MemoryLog, MemorySnapshotStore, SimLogStore, SimStateMachine } from "@raft/core/testing";
import { GrpcTransport } from "../src/index.js";
import { RecordingLogger, waitFor, type Extra } from "./support.js";

/** Real `RaftNode`s on real time, each over its own `GrpcTransport` on 127.0.0.1. */
export class GrpcCluster {
  readonly nodes = new Map<NodeId, RaftNode<Index>>();
  readonly transports = new Map<NodeId, GrpcTransport>();
  readonly machines = new Map<NodeId, SimStateMachine>();
  readonly loggers = new Map<NodeId, RecordingLogger>();
  /** Errors the nodes reported (they stop on one): a test expects none. */
  readonly errors: Error[] = [];

  constructor(
    readonly voters: readonly NodeId[],
    private readonly config: Partial<RaftNodeConfig> = {},
    private readonly transportOptions: (id: NodeId) => Extra = () => ({}),
  ) {}

  /** Starts the voters, each told every other voter's address. */
  async startAll(): Promise<void> {
    for (const id of this.voters) await this.listen(id);
    const book = new Map([...this.transports].map(([id, t]) => [id, t.address]));
    for (const t of this.transports.values()) t.updatePeers(book);
    for (const id of this.voters) await this.startNode(id, false);
  }

  /** Starts a node outside the voters that knows only its own listen address; it waits to be added. */
  async startJoiner(id: NodeId): Promise<GrpcTransport> {
    const t = await this.listen(id);
    await this.startNode(id, true);
    return t;
  }

  leader(): RaftNode<Index> | undefined {
    return [...this.nodes.values()].find((n) => n.status().role === "leader" && !n.status().stopped);
  }

  async waitForLeader(): Promise<RaftNode<Index>> {
    await waitFor(() => this.leader() !== undefined, "a leader", 20_000);
    return this.leader() as RaftNode<Index>;
  }

  /** Proposes `value` through whichever node leads, retrying while leadership moves. */
  async propose(value: string): Promise<Index> {
    const data = new TextEncoder().encode(value);
    for (let attempt = 0; ; attempt++) {
      const leader = await this.waitForLeader();
      try {
        return await leader.propose(data);
      } catch (e) {
        if (attempt > 50 || !(isRaftError(e, "NotLeader") || isRaftError(e, "ProposalDropped"))) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.nodes.values()].map((n) => n.stop()));
    await Promise.allSettled([...this.transports.values()].map((t) => t.close()));
  }

  private async listen(id: NodeId): Promise<GrpcTransport> {
    const logger = new RecordingLogger();
    const t = await GrpcTransport.listen({ id, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, logger, ...this.transportOptions(id) });
    this.transports.set(id, t);
    this.loggers.set(id, logger);
    return t;
  }

  private async startNode(id: NodeId, join: boolean): Promise<void> {
    const machine = new SimStateMachine();
    const node = new RaftNode<Index>({
      id,
      voters: this.voters,
      join,
      tickMs: 20,
      electionTicks: 10,
      seed: id,
      ...this.config,
      log: new SimLogStore(new MemoryLog(), systemClock, new Prng(id), 0),
      snapshots: new MemorySnapshotStore(),
      stateMachine: machine,
      transport: this.transports.get(id) as GrpcTransport,
    });
    node.on("error", ({ error }) => this.errors.push(error));
    this.nodes.set(id, node);
    this.machines.set(id, machine);
    await node.start();
  }
}
