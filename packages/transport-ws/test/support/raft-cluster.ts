import { isRaftError, type Message, type NodeId, type Transport, type TransportHandlers } from "@raft/core/contracts";
import type { Index } from "@raft/core/contracts";
import { RaftNode, systemClock, type RaftNodeConfig } from "@raft/core/runtime";
import { MemoryLog, MemorySnapshotStore, Prng, SimLogStore, SimStateMachine } from "@raft/core/testing";
import { WsTransport, type WsTransportOptions } from "../../src/index.js";
import { baseOptions, waitFor } from "./transports.js";

export interface WsClusterOptions {
  /** Extra transport options per node. */
  readonly transport?: (id: NodeId) => Partial<WsTransportOptions>;
  /** Extra node configuration for every node. */
  readonly node?: Partial<RaftNodeConfig>;
  /** Sees every message and snapshot request a node's engine receives. */
  readonly onDelivered?: (to: NodeId, from: NodeId, what: Message | "snapshot-request") => void;
}

/** Real `RaftNode`s on wall-clock time, talking over `WsTransport` on 127.0.0.1. */
export class WsCluster {
  readonly nodes = new Map<NodeId, RaftNode<Index>>();
  readonly transports = new Map<NodeId, WsTransport>();
  readonly machines = new Map<NodeId, SimStateMachine>();

  constructor(
    readonly voters: readonly NodeId[],
    private readonly o: WsClusterOptions = {},
  ) {}

  /** Every voter listens first (the OS picks ports), then each node starts knowing the others' addresses. */
  async start(): Promise<void> {
    for (const id of this.voters) this.transports.set(id, await WsTransport.listen(baseOptions(id, this.o.transport?.(id))));
    const book = new Map([...this.transports].map(([id, t]) => [id, t.address]));
    for (const id of this.voters) {
      (this.transports.get(id) as WsTransport).updatePeers(book);
      await this.startNode(id, false);
    }
  }

  /** A node outside the cluster, listening with no peers configured; it waits to be added as a learner. */
  async startJoiner(id: NodeId): Promise<{ node: RaftNode<Index>; transport: WsTransport }> {
    this.transports.set(id, await WsTransport.listen(baseOptions(id, this.o.transport?.(id))));
    return { node: await this.startNode(id, true), transport: this.transports.get(id) as WsTransport };
  }

  private async startNode(id: NodeId, join: boolean): Promise<RaftNode<Index>> {
    const machine = new SimStateMachine();
    const node = new RaftNode<Index>({
      id,
      voters: this.voters,
      join,
      tickMs: 20,
      electionTicks: 10,
      seed: id,
      ...this.o.node,
      log: new SimLogStore(new MemoryLog(), systemClock, new Prng(id)),
      snapshots: new MemorySnapshotStore(),
      stateMachine: machine,
      transport: this.observed(id, this.transports.get(id) as WsTransport),
    });
    this.nodes.set(id, node);
    this.machines.set(id, machine);
    await node.start();
    return node;
  }

  private observed(id: NodeId, inner: WsTransport): Transport {
    const seen = this.o.onDelivered;
    if (seen === undefined) return inner;
    return {
      start: (h: TransportHandlers) =>
        inner.start({
          onMessage: (m) => {
            seen(id, m.from, m);
            h.onMessage(m);
          },
          onSnapshotRequest: (from, request, signal) => {
            seen(id, from, "snapshot-request");
            return h.onSnapshotRequest(from, request, signal);
          },
        }),
      send: (messages) => inner.send(messages),
      fetchSnapshot: (peer, request, signal) => inner.fetchSnapshot(peer, request, signal),
      updatePeers: (addresses) => inner.updatePeers(addresses),
      close: () => inner.close(),
    };
  }

  node(id: NodeId): RaftNode<Index> {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  leader(): RaftNode<Index> | undefined {
    return [...this.nodes.values()].find((n) => !n.status().stopped && n.status().role === "leader");
  }

  async waitForLeader(): Promise<RaftNode<Index>> {
    await waitFor(() => this.leader() !== undefined, "a leader", 20_000);
    return this.leader() as RaftNode<Index>;
  }

  /** Proposes through whichever node leads, retrying while leadership moves; resolves with the applied index. */
  async propose(value: string): Promise<Index> {
    const end = Date.now() + 20_000;
    for (;;) {
      const leader = this.leader();
      try {
        if (leader !== undefined) return await leader.propose(new TextEncoder().encode(value));
      } catch (e) {
        if (!isRaftError(e, "NotLeader") && !isRaftError(e, "ProposalDropped")) throw e;
      }
      if (Date.now() > end) throw new Error(`could not commit ${value}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits until every running node applied `index`. */
  async waitApplied(index: Index, ids: readonly NodeId[] = [...this.nodes.keys()]): Promise<void> {
    await waitFor(() => ids.every((id) => this.node(id).status().applied >= index), `every node to apply ${index}`, 20_000);
  }

  /** Stops every node (which closes its transport) and closes transports whose node never started. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.nodes.values()].map((n) => n.stop()));
    await Promise.allSettled([...this.transports.values()].map((t) => t.close()));
  }
}
