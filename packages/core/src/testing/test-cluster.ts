import { isRaftError } from "../engine/errors.js";
import { Prng } from "../engine/prng.js";
import { NodeId, type Index } from "../engine/index.js";
import { MemoryLog } from "../contracts/memory-log.js";
import type { Clock } from "../contracts/clock.js";
import type { LogStore } from "../contracts/log-store.js";
import type { SnapshotStore } from "../contracts/snapshot-store.js";
import type { StateMachine } from "../contracts/state-machine.js";
import type { Transport } from "../contracts/transport.js";
import { RaftNode } from "../runtime/raft-node.js";
import type { RaftNodeConfig } from "../runtime/options.js";
import { systemClock } from "../runtime/system-clock.js";
import { InMemoryNetwork } from "./in-memory-network.js";
import { MemorySnapshotStore } from "./memory-snapshot-store.js";
import { incarnationOf } from "./shared-store.js";
import { SimClock } from "./sim-clock.js";
import { SimLogStore } from "./sim-log-store.js";
import { SimStateMachine } from "./sim-state-machine.js";
import { realTime, simulatedTime, type ClusterTime } from "./test-cluster-time.js";

/** A real transport that listens before its node starts; the others learn its `address`. */
export interface ListeningTransport extends Transport {
  readonly address: string;
}

export interface TestClusterOptions<R, M extends StateMachine<R>, S extends SnapshotStore = MemorySnapshotStore> {
  /** A fresh state machine for each start of a node. */
  readonly stateMachine: (id: number) => M;
  /** Configuration for every node (the cluster sets the ids, voters, ports and clock). */
  readonly node?: Partial<RaftNodeConfig>;
  /**
   * Real transports: called once per node before any node starts; every
   * node then learns the others' addresses. Time is then the system clock.
   * Default: an `InMemoryNetwork` on a `SimClock`, time passing only when the
   * test lets it (`run`, `until`, `settle`).
   */
  readonly transport?: (id: number) => Promise<ListeningTransport>;
  /**
   * With the in-memory network: `"simulated"` (the default) lets time pass only
   * when the test does; `"real"` runs the network and the nodes on the system
   * clock, for ports whose work takes real time (a database's writer thread,
   * an S3 server). Real transports always run on real time.
   */
  readonly time?: "simulated" | "real";
  /** Each node's snapshot store, created at its first start; it outlives the node. Default: its own `MemorySnapshotStore`. */
  readonly snapshotStore?: (id: number) => S | Promise<S>;
  /**
   * Each start's log store, for a real adapter (opening its files again on a
   * restart). Default: a `SimLogStore` over an in-memory durable log that
   * outlives the node, losing on a crash what was not yet durable.
   */
  readonly log?: (id: number) => LogStore | Promise<LogStore>;
  /** Seed of the in-memory network's faults and delays. Default 3. */
  readonly networkSeed?: number;
  /** Each log write becomes durable after up to this many ms. Default 0 on real time, the SimLogStore's default on simulated time. */
  readonly maxFsyncMs?: number;
  /** When set, the default logs read catch-up entries ahead (`LogStore.readAhead`, as `@raft/log-sqlite` does), each read taking up to this many ms. */
  readonly readAheadMaxMs?: number;
}

/**
 * Real `RaftNode`s, several to a process, for tests and examples: in-memory
 * logs and snapshot stores that survive a node's crash (what was not yet
 * durable is lost), on a simulated clock and network or over real transports.
 * One harness for every package's cluster tests.
 */
export class TestCluster<R = Index, M extends StateMachine<R> = StateMachine<R>, S extends SnapshotStore = MemorySnapshotStore> {
  private readonly simClock: SimClock | undefined;
  private readonly memoryNetwork: InMemoryNetwork | undefined;
  readonly time: ClusterTime;
  readonly nodes = new Map<number, RaftNode<R>>();
  readonly machines = new Map<number, M>();
  readonly transports = new Map<number, Transport>();
  /** What each node has made durable; it outlives the node. */
  readonly durable = new Map<number, MemoryLog>();
  readonly snapshotStores = new Map<number, S | MemorySnapshotStore>();
  /** Errors the nodes stopped on: a test usually expects none. */
  readonly errors: Error[] = [];
  private readonly logs = new Map<number, SimLogStore>();
  private readonly joiners = new Set<number>();

  /** A cluster of `SimStateMachine`s, which apply each command to its index. */
  static of(voters: readonly number[], options: Omit<TestClusterOptions<Index, SimStateMachine>, "stateMachine"> = {}): TestCluster<Index, SimStateMachine> {
    return new TestCluster(voters, { ...options, stateMachine: () => new SimStateMachine() });
  }

  constructor(
    readonly voters: readonly number[],
    private readonly options: TestClusterOptions<R, M, S>,
  ) {
    if (options.transport !== undefined && options.time === "simulated") throw new Error("real transports run on real time");
    if (options.transport !== undefined) {
      this.simClock = undefined;
      this.memoryNetwork = undefined;
      this.time = realTime();
    } else if (options.time === "real") {
      this.simClock = undefined;
      this.memoryNetwork = new InMemoryNetwork({ clock: systemClock, seed: options.networkSeed ?? 3 });
      this.time = realTime();
    } else {
      this.simClock = new SimClock();
      this.memoryNetwork = new InMemoryNetwork({ clock: this.simClock, seed: options.networkSeed ?? 3 });
      this.time = simulatedTime(this.simClock);
    }
  }

  /** The simulated clock (a cluster on real transports has none). */
  get clock(): SimClock {
    if (this.simClock === undefined) throw new Error("this cluster runs on the system clock");
    return this.simClock;
  }

  /** The in-memory network, to cut and delay links (a cluster on real transports has none). */
  get network(): InMemoryNetwork {
    if (this.memoryNetwork === undefined) throw new Error("this cluster runs over real transports");
    return this.memoryNetwork;
  }

  /** Starts every voter (real transports all listen first, then learn each other's addresses). */
  async startAll(): Promise<void> {
    if (this.options.transport !== undefined) {
      for (const id of this.voters) await this.listen(id);
      const book = new Map([...this.transports].map(([id, t]) => [NodeId.of(id), (t as ListeningTransport).address]));
      for (const t of this.transports.values()) t.updatePeers?.(book);
    }
    for (const id of this.voters) await this.start(id);
  }

  /** Starts a node outside the voters; it waits to be added as a learner. */
  async startJoiner(id: number): Promise<RaftNode<R>> {
    return this.start(id, true);
  }

  /** Starts (or restarts, from what it made durable) node `id` with a fresh state machine. */
  async start(id: number, join = this.joiners.has(id)): Promise<RaftNode<R>> {
    if (join) this.joiners.add(id);
    const clock = this.clockOrSystem();
    const log = this.options.log === undefined ? this.simLog(id, clock) : await this.options.log(id);
    // createdAt is wall-clock milliseconds (the system clock's now() is monotonic time, with fractions).
    const now = this.simClock === undefined ? Date.now : () => clock.now();
    const snapshots = this.snapshotStores.get(id) ?? (await this.options.snapshotStore?.(id)) ?? new MemorySnapshotStore({ now });
    this.snapshotStores.set(id, snapshots);
    const transport = this.memoryNetwork?.transport(id) ?? this.transports.get(id) ?? (await this.listen(id));
    const stateMachine = this.options.stateMachine(id);
    const node = new RaftNode<R>({
      id,
      voters: this.voters,
      join,
      tickMs: this.simClock === undefined ? 20 : 10,
      seed: id,
      ...this.options.node,
      log,
      snapshots: incarnationOf(snapshots),
      stateMachine,
      transport,
      clock,
    });
    node.on("error", ({ error }) => this.errors.push(error));
    this.nodes.set(id, node);
    this.machines.set(id, stateMachine);
    await node.start();
    return node;
  }

  node(id: number): RaftNode<R> {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  machine(id: number): M {
    const m = this.machines.get(id);
    if (m === undefined) throw new Error(`no node ${id}`);
    return m;
  }

  /** The running node that believes it leads, if any. */
  leader(): RaftNode<R> | undefined {
    for (const n of this.nodes.values()) {
      const s = n.status();
      if (s.role === "leader" && !s.stopped) return n;
    }
    return undefined;
  }

  async waitForLeader(ms = this.defaultWaitMs()): Promise<RaftNode<R>> {
    await this.until(() => this.leader() !== undefined, ms, "a leader");
    return this.leader() as RaftNode<R>;
  }

  /** Lets `ms` pass (simulated: fires every timer due, letting promises settle between them). */
  run(ms: number): Promise<void> {
    return this.time.run(ms);
  }

  /** Resolves once `done()` holds; rejects after `ms`. */
  until(done: () => boolean, ms = this.defaultWaitMs(), what = "condition"): Promise<void> {
    return this.time.until(done, ms, what);
  }

  /** `p`'s outcome while time passes; rejects if it has none after `ms`. */
  settle<T>(p: Promise<T>, ms = this.defaultWaitMs()): Promise<T> {
    return this.time.settle(p, ms);
  }

  /** Proposes through whichever node leads, retrying while leadership moves; resolves with the command's result. */
  async propose(data: Uint8Array, ms = this.defaultWaitMs()): Promise<R> {
    let lastError: unknown = new Error("no leader");
    const attempt = async (): Promise<R | undefined> => {
      const leader = this.leader();
      if (leader === undefined) return undefined;
      try {
        return await leader.propose(data);
      } catch (e) {
        if (!isRaftError(e, "NotLeader") && !isRaftError(e, "ProposalDropped")) throw e;
        lastError = e;
        return undefined;
      }
    };
    let result: { value: R } | undefined;
    let failure: unknown;
    const loop = (async () => {
      while (result === undefined && failure === undefined) {
        const value = await attempt().catch((e: unknown) => ((failure = e), undefined));
        if (value !== undefined) result = { value };
        else if (failure === undefined) await new Promise<void>((resolve) => this.clockOrSystem().setTimeout(resolve, 20));
      }
    })();
    await this.until(() => result !== undefined || failure !== undefined, ms, `a proposal committed (last: ${String(lastError)})`);
    await loop;
    if (failure !== undefined) throw failure;
    return (result as { value: R }).value;
  }

  /** Waits until every running node among `ids` applied `index`. */
  async waitApplied(index: number, ids: readonly number[] = [...this.nodes.keys()], ms = this.defaultWaitMs()): Promise<void> {
    await this.until(() => ids.every((id) => this.node(id).status().applied >= index), ms, `every node to apply ${index}`);
  }

  /** Loses what node `id` had not made durable and stops it; its durable log and snapshots remain for a restart. */
  async crash(id: number): Promise<void> {
    this.logs.get(id)?.crash();
    const snapshots = this.snapshotStores.get(id);
    if (snapshots instanceof MemorySnapshotStore) snapshots.crash();
    await this.node(id).stop();
    if (this.options.transport !== undefined) this.transports.delete(id);
  }

  /** Crashes every node, and closes real transports whose node never started. */
  async stopAll(): Promise<void> {
    for (const id of this.nodes.keys()) await this.crash(id);
    await Promise.allSettled([...this.transports.values()].map((t) => t.close()));
  }

  private async listen(id: number): Promise<Transport> {
    const listen = this.options.transport;
    if (listen === undefined) throw new Error("no transport factory");
    const t = await listen(id);
    this.transports.set(id, t);
    return t;
  }

  /** A `SimLogStore` over the node's durable log (kept across its restarts). */
  private simLog(id: number, clock: Clock): SimLogStore {
    const durable = this.durable.get(id) ?? new MemoryLog();
    this.durable.set(id, durable);
    const log = new SimLogStore(durable, clock, new Prng(id), this.options.maxFsyncMs ?? (this.simClock === undefined ? 0 : undefined), this.options.readAheadMaxMs);
    this.logs.set(id, log);
    return log;
  }

  private clockOrSystem(): Clock {
    return this.simClock ?? systemClock;
  }

  private defaultWaitMs(): number {
    return this.simClock === undefined ? 20_000 : 10_000;
  }
}
