// What the catch-up benchmark (main.ts) and its node processes (catch-up-node.ts) say over IPC.

export type TransportKind = "grpc" | "ws";

/** A node process's configuration, passed as JSON in argv[2]. */
export interface NodeProcessConfig {
  id: number;
  voters: number[];
  /** Raft port on 127.0.0.1. */
  port: number;
  /** Peer id → "127.0.0.1:port". */
  peers: Record<string, string>;
  dir: string;
  transport: TransportKind;
  /** Bytes of each entry the bench proposes. */
  entryBytes: number;
}

export interface NodeState {
  id: number;
  role: string;
  term: number;
  leader: number;
  commit: number;
  applied: number;
  lastIndex: number;
  /** Milliseconds catch-up pacing held this node's entries read ahead for lagging followers back, in all. */
  pacedMs: number;
}

/** Latency of one closed-loop proposer, and this process's event-loop delay over the same time. */
export interface ProposerReport {
  seconds: number;
  writes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** perf_hooks.monitorEventLoopDelay at 10 ms resolution (the resolution is counted in: an idle loop reads ~10 ms), like prom-client's default metrics. */
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  /** CPU this process used, in seconds per second (main thread and the SQLite writer thread together). */
  cpu: number;
  /** Log reads on this process's main thread (`LogStore.entries`) over the same time. */
  reads: ReadStats;
}

/**
 * `LogStore.entries` calls, timed: in total, and per burst (the calls made
 * before the event loop reached its next check phase, i.e. within one turn).
 */
export interface ReadStats {
  calls: number;
  entries: number;
  /** Entries the store read ahead off the main thread (`readAhead`), not counted above. */
  aheadEntries: number;
  ms: number;
  bursts: number;
  maxBurstMs: number;
  maxBurstEntries: number;
  /** Bursts that took longer than 20 ms, and longer than 50 ms. */
  burstsOver20Ms: number;
  burstsOver50Ms: number;
}

export type Request =
  | { seq: number; op: "state" }
  /** Proposes `count` entries with at most `inFlight` unresolved at a time (the leader only). */
  | { seq: number; op: "fill"; count: number; inFlight: number }
  /** Starts one closed-loop proposer (propose, await, repeat) and resets the loop-delay histogram. */
  | { seq: number; op: "proposer-start" }
  | { seq: number; op: "proposer-stop" }
  | { seq: number; op: "stop" };

export type Reply = { seq: number; ok: true; result: unknown } | { seq: number; ok: false; error: string };
