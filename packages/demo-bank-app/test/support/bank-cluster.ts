import { Prng } from "@raft/core/testing";
import type { NodeId } from "@raft/core/contracts";
import { RaftNode, type RaftNodeConfig } from "@raft/core/runtime";
import { drainMicrotasks, incarnationOf, InMemoryNetwork, MemoryLog, MemorySnapshotStore, SimClock, SimLogStore } from "@raft/core/testing";
import { BankStateMachine, type BankResult } from "../../src/index.js";

/**
 * Real `RaftNode`s running the bank, on a simulated clock and network with
 * in-memory logs and snapshot stores that survive a node's crash.
 */
export class BankCluster {
  readonly clock = new SimClock();
  readonly network = new InMemoryNetwork({ clock: this.clock, seed: 11 });
  readonly nodes = new Map<NodeId, RaftNode<BankResult>>();
  readonly machines = new Map<NodeId, BankStateMachine>();
  private readonly logs = new Map<NodeId, SimLogStore>();
  private readonly durable = new Map<NodeId, MemoryLog>();
  private readonly snapshotStores = new Map<NodeId, MemorySnapshotStore>();

  constructor(
    readonly ids: readonly NodeId[],
    private readonly config: Partial<RaftNodeConfig> = {},
    private readonly dedupCapacity = 100,
  ) {}

  /** Starts (or restarts, with its durable log and snapshots) node `id` and a fresh state machine. */
  async start(id: NodeId): Promise<RaftNode<BankResult>> {
    const durable = this.durable.get(id) ?? new MemoryLog();
    this.durable.set(id, durable);
    const snapshots = this.snapshotStores.get(id) ?? new MemorySnapshotStore({ now: () => this.clock.now() });
    this.snapshotStores.set(id, snapshots);
    const log = new SimLogStore(durable, this.clock, new Prng(id));
    const stateMachine = new BankStateMachine({ dedupCapacity: this.dedupCapacity, snapshotChunkBytes: 256 });
    const node = new RaftNode<BankResult>({ id, voters: this.ids, tickMs: 10, seed: id, ...this.config, log, snapshots: incarnationOf(snapshots), stateMachine, transport: this.network.transport(id), clock: this.clock });
    this.nodes.set(id, node);
    this.logs.set(id, log);
    this.machines.set(id, stateMachine);
    await node.start();
    return node;
  }

  async startAll(): Promise<void> {
    for (const id of this.ids) await this.start(id);
  }

  node(id: NodeId): RaftNode<BankResult> {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  machine(id: NodeId): BankStateMachine {
    const m = this.machines.get(id);
    if (m === undefined) throw new Error(`no node ${id}`);
    return m;
  }

  /** Advances simulated time by `ms`, letting every promise settle between timers. */
  async run(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    while (this.clock.fireNext(end)) await drainMicrotasks();
    this.clock.advanceTo(end);
    await drainMicrotasks();
  }

  /** Runs until `done` holds (checked between timers), failing after `ms` simulated ms. */
  async until(done: () => boolean, ms = 10_000): Promise<void> {
    const end = this.clock.now() + ms;
    while (!done()) {
      if (!this.clock.fireNext(end)) throw new Error(`condition not met within ${ms} simulated ms`);
      await drainMicrotasks();
    }
  }

  leader(): RaftNode<BankResult> | undefined {
    for (const n of this.nodes.values()) {
      const s = n.status();
      if (s.role === "leader" && !s.stopped) return n;
    }
    return undefined;
  }

  async waitForLeader(): Promise<RaftNode<BankResult>> {
    await this.until(() => this.leader() !== undefined);
    return this.leader() as RaftNode<BankResult>;
  }

  /** Settles a promise while simulated time runs. */
  async settle<T>(p: Promise<T>, ms = 10_000): Promise<T> {
    let done = false;
    const tracked = p.finally(() => {
      done = true;
    });
    tracked.catch(() => {});
    await this.until(() => done, ms);
    return tracked;
  }

  /** Loses what the node had not made durable and stops it; its durable log and snapshots remain. */
  async crash(id: NodeId): Promise<void> {
    this.logs.get(id)?.crash();
    this.snapshotStores.get(id)?.crash();
    await this.node(id).stop();
  }

  async stopAll(): Promise<void> {
    for (const id of this.nodes.keys()) await this.crash(id);
  }
}
