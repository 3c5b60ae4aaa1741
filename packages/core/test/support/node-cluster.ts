import { Prng, type Index, type NodeId } from "../../src/engine/index.js";
import { RaftNode, type RaftNodeConfig } from "../../src/runtime/index.js";
import { drainMicrotasks, incarnationOf, InMemoryNetwork, MemoryLog, MemorySnapshotStore, SimClock, SimLogStore, SimStateMachine } from "../../src/testing/index.js";

/** Real `RaftNode`s on a simulated clock and network, for runtime tests. */
export class NodeCluster {
  readonly clock = new SimClock();
  readonly network = new InMemoryNetwork({ clock: this.clock, seed: 3 });
  readonly nodes = new Map<NodeId, RaftNode<Index>>();
  readonly stores = new Map<NodeId, SimLogStore>();
  readonly machines = new Map<NodeId, SimStateMachine>();
  readonly durable = new Map<NodeId, MemoryLog>();
  readonly snapshotStores = new Map<NodeId, MemorySnapshotStore>();
  private readonly joiners = new Set<NodeId>();

  constructor(
    readonly ids: readonly NodeId[],
    private readonly config: Partial<RaftNodeConfig> = {},
  ) {}

  /** Starts a node outside the initial voters; it waits to be added as a learner. */
  async startJoiner(id: NodeId): Promise<RaftNode<Index>> {
    return this.start(id, true);
  }

  async start(id: NodeId, join = this.joiners.has(id)): Promise<RaftNode<Index>> {
    if (join) this.joiners.add(id);
    const durable = this.durable.get(id) ?? new MemoryLog();
    this.durable.set(id, durable);
    const store = new SimLogStore(durable, this.clock, new Prng(id));
    const snapshots = this.snapshotStores.get(id) ?? new MemorySnapshotStore({ now: () => this.clock.now() });
    this.snapshotStores.set(id, snapshots);
    const sm = new SimStateMachine();
    const node = new RaftNode<Index>({ id, voters: this.ids, join, tickMs: 10, seed: id, ...this.config, log: store, snapshots: incarnationOf(snapshots), stateMachine: sm, transport: this.network.transport(id), clock: this.clock });
    this.nodes.set(id, node);
    this.stores.set(id, store);
    this.machines.set(id, sm);
    await node.start();
    return node;
  }

  async startAll(): Promise<void> {
    for (const id of this.ids) await this.start(id);
  }

  node(id: NodeId): RaftNode<Index> {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Advances simulated time by `ms`, letting every promise settle between timers. */
  async run(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    while (this.clock.fireNext(end)) await drainMicrotasks();
    this.clock.advanceTo(end);
    await drainMicrotasks();
  }

  /** Runs until `done` holds (checked between timers), failing after `ms`. */
  async until(done: () => boolean, ms = 5000): Promise<void> {
    const end = this.clock.now() + ms;
    while (!done()) {
      if (!this.clock.fireNext(end)) throw new Error(`condition not met within ${ms} simulated ms`);
      await drainMicrotasks();
    }
  }

  leader(): RaftNode<Index> | undefined {
    for (const n of this.nodes.values()) {
      try {
        if (n.status().role === "leader" && !n.status().stopped) return n;
      } catch {
        // not started
      }
    }
    return undefined;
  }

  async waitForLeader(): Promise<RaftNode<Index>> {
    await this.until(() => this.leader() !== undefined);
    return this.leader() as RaftNode<Index>;
  }

  /** Settles a promise while simulated time runs. */
  async settle<T>(p: Promise<T>, ms = 5000): Promise<T> {
    let done = false;
    const tracked = p.finally(() => {
      done = true;
    });
    tracked.catch(() => {});
    await this.until(() => done, ms);
    return tracked;
  }

  async crash(id: NodeId): Promise<void> {
    this.stores.get(id)?.crash();
    this.snapshotStores.get(id)?.crash();
    await this.node(id).stop();
  }

  async stopAll(): Promise<void> {
    for (const id of this.nodes.keys()) await this.crash(id);
  }
}

export const bytes = (s: string) => new TextEncoder().encode(s);
