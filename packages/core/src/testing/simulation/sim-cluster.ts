import { MemoryLog } from "../../contracts/memory-log.js";
import { NodeId, Prng, type Index } from "../../engine/index.js";
import { RaftNode } from "../../runtime/index.js";
import { InMemoryNetwork } from "../in-memory-network.js";
import { MemorySnapshotStore } from "../memory-snapshot-store.js";
import { SafetyChecker } from "../safety-checker.js";
import { incarnationOf } from "../shared-store.js";
import { drainMicrotasks, SimClock } from "../sim-clock.js";
import { SimLogStore } from "../sim-log-store.js";
import { SimStateMachine } from "../sim-state-machine.js";
import type { RunSettings } from "./settings.js";

const TICK_MS = 10;

/** One node of the simulated cluster: what survives its crashes, and its running incarnation. */
export interface SimNode {
  readonly id: NodeId;
  readonly durable: MemoryLog;
  readonly snapshots: MemorySnapshotStore;
  incarnation: number;
  starting: boolean;
  /** Removed from the cluster: it is never restarted. */
  retired: boolean;
  live?: { node: RaftNode<Index>; store: SimLogStore; sm: SimStateMachine };
}

export type SimStats = Record<
  "writes" | "writesAcked" | "writesFailed" | "reads" | "readsOk" | "readsFailed" | "elections" | "crashes" | "partitions" | "snapshots" | "installs" | "membershipChanges",
  number
>;

/**
 * Real `RaftNode`s on a simulated clock, network and disks, with the safety
 * checker watching every one: starts (and restarts) nodes from what their
 * crashes left, crashes them, and runs time forward.
 */
export class SimCluster {
  readonly clock = new SimClock();
  readonly network: InMemoryNetwork;
  readonly checker = new SafetyChecker();
  /** The initial voters. */
  readonly ids: NodeId[];
  /** The initial voters, then two spare nodes that membership changes may add. */
  readonly allIds: NodeId[];
  readonly nodes: SimNode[];
  readonly stats: SimStats = {
    writes: 0,
    writesAcked: 0,
    writesFailed: 0,
    reads: 0,
    readsOk: 0,
    readsFailed: 0,
    elections: 0,
    crashes: 0,
    partitions: 0,
    snapshots: 0,
    installs: 0,
    membershipChanges: 0,
  };
  /** Client requests not settled yet. */
  readonly unsettled = new Set<Promise<unknown>>();
  /** Node starts in progress (they may wait for simulated writes). */
  readonly pendingStarts: Promise<void>[] = [];
  /** False once the heal phase begins: crashes then are not faults. */
  faulty = true;

  constructor(
    readonly settings: RunSettings,
    /** The run's one source of randomness, shared with the workload and the faults (a seed replays exactly). */
    readonly prng: Prng,
    private readonly trace: (line: string) => void,
  ) {
    const { seed, size, mix, bucket } = settings;
    this.network = new InMemoryNetwork({ clock: this.clock, seed: seed * 31 + 7 });
    this.network.faults = mix.network;
    this.network.streamFaults = mix.streams;
    this.ids = Array.from({ length: size }, (_, i) => NodeId.of(i + 1));
    this.allIds = mix.membership > 0 ? [...this.ids, NodeId.of(size + 1), NodeId.of(size + 2)] : this.ids;
    this.nodes = this.allIds.map((id) => ({
      id,
      durable: new MemoryLog(),
      snapshots: new MemorySnapshotStore({ now: () => this.clock.now(), bucket, prefix: `node-${id}/` }),
      incarnation: 0,
      starting: false,
      retired: false,
    }));
  }

  log(line: string): void {
    this.trace(`${String(this.clock.now()).padStart(6)}ms ${line}`);
  }

  /** Starts (or restarts) `n` from its durable log and snapshots. */
  async start(n: SimNode): Promise<void> {
    const s = this.settings;
    const checker = this.checker;
    n.incarnation++;
    const store = new SimLogStore(n.durable, this.clock, new Prng(s.seed * 1000 + n.id * 10 + n.incarnation), s.maxFsyncMs, s.readAheadMaxMs);
    store.onDurable = (w) => checker.entriesWritten(n.id, w.entries, (i) => (i >= n.durable.firstIndex() - 1 && i <= n.durable.lastIndex() ? n.durable.term(i) : undefined));
    const sm = new SimStateMachine((c, value) => checker.applied(n.id, c.index, c.term, value));
    const node = new RaftNode<Index>({
      id: n.id,
      voters: this.ids,
      join: !this.ids.includes(n.id),
      tickMs: TICK_MS,
      electionTicks: 10,
      leaseRead: s.leaseRead,
      maxMsgEntries: s.maxMsgEntries,
      maxInflight: s.maxInflight,
      logCacheBytes: s.logCacheBytes,
      maxCatchUpReadEntries: s.maxCatchUpReadEntries,
      catchUpMaxBytesPerSecond: s.catchUpMaxBytesPerSecond,
      snapshotEntries: s.snapshotEntries,
      keepTrailing: s.keepTrailing,
      snapshotChunkBytes: s.snapshotChunkBytes,
      snapshotInlineBytes: s.snapshotInlineBytes,
      snapshotProgressTimeoutMs: 200,
      snapshotMaxAttempts: 3,
      snapshots: incarnationOf(n.snapshots),
      seed: s.seed * 100 + n.id * 7 + n.incarnation,
      log: store,
      stateMachine: sm,
      transport: this.network.transport(n.id),
      clock: this.clock,
    });
    node.on("role", ({ role, term }) => {
      this.log(`node ${n.id} is ${role} in term ${term}`);
      if (role === "leader") {
        this.stats.elections++;
        const st = node.status();
        checker.leaderElected(n.id, term, (lo, hi) => node.logEntries(Math.max(lo, st.firstIndex), hi), st.lastIndex);
      }
    });
    node.on("snapshot", ({ kind, index }) => {
      this.log(`node ${n.id} ${kind} snapshot ${index}`);
      if (kind === "installed") this.stats.installs++;
      else this.stats.snapshots++;
    });
    node.on("error", ({ error }) => {
      this.log(`node ${n.id} failed: ${error.message}`);
      checker.nodeFailed(n.id, error);
    });
    n.starting = true;
    await node.start();
    n.starting = false;
    n.live = { node, store, sm };
  }

  /** Crashes `n`: writes in flight are lost, as in a power cut. */
  async crash(n: SimNode): Promise<void> {
    const live = n.live;
    if (live === undefined) return;
    this.log(`node ${n.id} crashes`);
    if (this.faulty) this.stats.crashes++;
    n.live = undefined;
    live.store.crash();
    n.snapshots.crash();
    await live.node.stop();
  }

  /** The leader of the highest term, or (drawing from the run's randomness) some live node. */
  leaderGuess(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const n of this.nodes) {
      const s = n.live?.node.status();
      if (s !== undefined && s.role === "leader" && s.term > bestTerm) {
        best = n;
        bestTerm = s.term;
      }
    }
    const alive = this.nodes.filter((n) => n.live !== undefined);
    return best ?? alive[this.prng.int(0, alive.length)];
  }

  /** Keeps `p` among the client requests that must settle. */
  track(p: Promise<unknown>): void {
    this.unsettled.add(p);
    void p.finally(() => this.unsettled.delete(p));
  }

  /** Fires timers up to `end` (stopping at the first violation), then lets pending starts finish. */
  async runUntil(end: number): Promise<void> {
    const { clock, checker } = this;
    while (checker.violations.length === 0 && clock.fireNext(end)) {
      checker.now = clock.now();
      await drainMicrotasks();
    }
    // A start may still wait for a simulated write (a log reset after a crash): time goes on until it is done.
    let started = false;
    const starts = Promise.all(this.pendingStarts.splice(0)).finally(() => (started = true));
    await drainMicrotasks();
    while (!started && clock.fireNext()) await drainMicrotasks();
    await starts;
  }
}
