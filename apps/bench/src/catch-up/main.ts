// Catch-up of a follower 1,000,000 entries behind, with real processes: three
// nodes (catch-up-node.ts: RaftNode, SQLite log with synchronous=FULL, disk
// snapshot store with snapshots off, a counter state machine) on 127.0.0.1
// over gRPC, then over WebSocket.
//
// 1. The three nodes elect a leader; one follower is stopped (a clean stop).
// 2. The leader proposes BENCH_CATCHUP_ENTRIES entries (default 1,000,000) of
//    BENCH_CATCHUP_ENTRY_BYTES bytes (default 128), 1,024 in flight, committed
//    with the other follower: the stopped one is that far behind, and most of
//    the backlog is only in the leader's SQLite file (its in-memory cache
//    holds the last 16 MiB).
// 3. Idle: one closed-loop proposer on the leader (propose, await, repeat) for
//    BENCH_SECONDS (default 5): write p50/p99, with the follower still stopped.
// 4. Catch-up: the same proposer runs while the stopped follower is started
//    again, until its applied index reaches the leader's commit index: the
//    time from its start and entries/s, the write p50/p99 meanwhile and the
//    ratio during/idle (target ≤ 2×), and the leader's event-loop delay
//    (perf_hooks, 10 ms resolution like prom-client's) over both windows.
//
// Env: BENCH_CATCHUP_ENTRIES, BENCH_CATCHUP_ENTRY_BYTES, BENCH_SECONDS,
// BENCH_CATCHUP_RATE (the leader's catch-up pacing, bytes/s; 0: unpaced;
// default the node's catchUpMaxBytesPerSecond),
// BENCH_CATCHUP_TRANSPORTS (default "grpc,ws"), BENCH_DIR (default the OS temp
// dir), BENCH_NODE_FLAGS (node flags for the node processes, e.g.
// "--cpu-prof --cpu-prof-dir=/tmp/prof"). Every process is stopped by pid and
// every directory removed, on failure and on Ctrl-C too.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { freePortRange } from "@raft/core/testing";
import { cleanupAll, cleanupOnSignals, onCleanup } from "../real-cluster/cleanup.js";
import { sleep } from "../real-cluster/processes.js";
import { NodeProcess } from "./node-process.js";
import type { NodeProcessConfig, NodeState, ProposerReport, ReadStats, TransportKind } from "./protocol.js";

const entries = Number(process.env.BENCH_CATCHUP_ENTRIES ?? 1_000_000);
const entryBytes = Number(process.env.BENCH_CATCHUP_ENTRY_BYTES ?? 128);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const transports = (process.env.BENCH_CATCHUP_TRANSPORTS ?? "grpc,ws").split(",").filter((t): t is TransportKind => t === "grpc" || t === "ws");
const fillInFlight = 1024;
const catchUpTimeoutMs = 15 * 60_000;

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export interface CatchUpResult {
  transport: TransportKind;
  backlog: number;
  fillSeconds: number;
  catchUpSeconds: number;
  entriesPerSecond: number;
  idle: ProposerReport;
  during: ProposerReport;
  ratioP99: number;
  /** Time the leader's reads ahead waited on pacing during the catch-up, summed over reads. */
  pacedSeconds: number;
}

async function waitFor<T>(what: string, read: () => Promise<T | undefined>, timeoutMs: number, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await read();
    if (value !== undefined) return value;
    await sleep(pollMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function run(transport: TransportKind): Promise<CatchUpResult> {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "bench-catch-up-"));
  const removeDir = onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  const ids = [1, 2, 3];
  const base = await freePortRange(ids.length);
  const configOf = (id: number): NodeProcessConfig => ({
    id,
    voters: ids,
    port: base + id - 1,
    peers: Object.fromEntries(ids.filter((p) => p !== id).map((p) => [String(p), `127.0.0.1:${base + p - 1}`])),
    dir: join(dir, String(id)),
    transport,
    entryBytes,
  });
  const nodes = new Map<number, NodeProcess>();
  try {
    for (const node of await Promise.all(ids.map((id) => NodeProcess.start(configOf(id))))) nodes.set(node.config.id, node);
    const states = () => Promise.all([...nodes.values()].map((n) => n.state()));
    const leaderId = await waitFor(
      "a leader",
      async () => {
        const all = await states();
        const l = all.find((s) => s.role === "leader");
        return l !== undefined && all.every((s) => s.leader === l.id) ? l.id : undefined;
      },
      30_000,
    );
    const leader = nodes.get(leaderId) as NodeProcess;
    const [laggingId, otherId] = ids.filter((id) => id !== leaderId) as [number, number];
    const other = nodes.get(otherId) as NodeProcess;

    // 1–2. The backlog.
    const lagging = nodes.get(laggingId) as NodeProcess;
    const leftAt = (await lagging.state()).lastIndex;
    await lagging.stop();
    nodes.delete(laggingId);
    process.stdout.write(`  ${transport}: building a backlog of ${fmt(entries)} entries of ${entryBytes} B… `);
    const fill = await leader.fill(entries, fillInFlight);
    const commit = (await leader.state()).commit;
    await waitFor("the other follower to apply the backlog", async () => ((await other.state()).applied >= commit ? true : undefined), 120_000);
    console.log(`${fmt(fill.seconds, 1)} s (${fmt(entries / fill.seconds)} entries/s committed)`);

    // 3. Idle.
    await leader.proposerStart();
    await sleep(seconds * 1000);
    const idle = await leader.proposerStop();

    // 4. Catch-up, with the proposer running.
    await leader.proposerStart();
    const before = await leader.state();
    const backlog = before.commit - leftAt;
    const start = performance.now();
    const restarted = await NodeProcess.start(configOf(laggingId));
    nodes.set(laggingId, restarted);
    const caughtUp = await waitFor(
      "the follower to catch up",
      async () => {
        const target = (await leader.state()).commit;
        const s: NodeState = await restarted.state();
        return s.applied >= target ? s : undefined;
      },
      catchUpTimeoutMs,
      50,
    );
    const catchUpSeconds = (performance.now() - start) / 1000;
    const during = await leader.proposerStop();
    const pacedSeconds = ((await leader.state()).pacedMs - before.pacedMs) / 1000;
    return {
      transport,
      backlog,
      fillSeconds: fill.seconds,
      catchUpSeconds,
      entriesPerSecond: (caughtUp.applied - leftAt) / catchUpSeconds,
      idle,
      during,
      ratioP99: during.p99Ms / idle.p99Ms,
      pacedSeconds,
    };
  } finally {
    await Promise.all([...nodes.values()].map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
    removeDir();
  }
}

function pacing(): string {
  const rate = process.env.BENCH_CATCHUP_RATE;
  if (rate === undefined) return "the node's default";
  return Number(rate) === 0 ? "no limit" : `${fmt(Number(rate) / 2 ** 20, 1)} MiB/s`;
}

function readsText(s: ReadStats): string {
  return `${fmt(s.aheadEntries)} entries read ahead off the main thread; ${fmt(s.entries)} entries in ${fmt(s.calls)} calls, ${fmt(s.ms)} ms on the main thread (${fmt(s.entries / Math.max(1, s.ms / 1000))} entries/s); per turn max ${fmt(s.maxBurstMs, 1)} ms / ${fmt(s.maxBurstEntries)} entries, ${fmt(s.burstsOver20Ms)} turns over 20 ms, ${fmt(s.burstsOver50Ms)} over 50 ms`;
}

function report(r: CatchUpResult): string {
  const writes = (p: ProposerReport) => `${fmt(p.writes / p.seconds)} writes/s, p50 ${fmt(p.p50Ms, 2)} / p99 ${fmt(p.p99Ms, 2)} / max ${fmt(p.maxMs, 1)} ms`;
  const loop = (p: ProposerReport) => `p50 ${fmt(p.loopP50Ms, 1)} / p99 ${fmt(p.loopP99Ms, 1)} / max ${fmt(p.loopMaxMs, 1)} ms, CPU ${fmt(p.cpu, 2)} s/s`;
  return [
    `  ${r.transport}: follower ${fmt(r.backlog)} entries behind caught up in ${fmt(r.catchUpSeconds, 1)} s from its start: ${fmt(r.entriesPerSecond)} entries/s (${fmt((r.entriesPerSecond * entryBytes) / 2 ** 20, 1)} MiB/s of entry data)`,
    `    leader writes, one closed-loop proposer: idle ${writes(r.idle)}`,
    `                                     during catch-up ${writes(r.during)}`,
    `    p99 during/idle: ${fmt(r.ratioP99, 2)}× (target ≤ 2×)${r.ratioP99 <= 2 ? "" : "  ← over target"}`,
    `    leader event-loop delay: idle ${loop(r.idle)}; during catch-up ${loop(r.during)}`,
    `    leader log reads during catch-up: ${readsText(r.during.reads)}; held back by pacing ${fmt(r.pacedSeconds, 1)} s`,
  ].join("\n");
}

cleanupOnSignals();
console.log(
  `catch-up: 3 processes, SQLite (synchronous=FULL), snapshots off; a follower ${fmt(entries)} entries behind catches up while one closed-loop proposer writes on the leader (${seconds} s idle window); catch-up paced at ${pacing()}; load average ${loadavg()
    .map((n) => n.toFixed(1))
    .join(" ")}`,
);
try {
  for (const transport of transports) console.log(report(await run(transport)));
} catch (error) {
  console.error(`catch-up benchmark failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
