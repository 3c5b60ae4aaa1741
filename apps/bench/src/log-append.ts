// Appends to @raft/log-sqlite as the runtime makes them: one save() per Ready,
// here a batch of 256-byte entries with a hard state, each resolved (committed,
// and with synchronous=FULL fsynced) before the next. Prints entries/s and
// p50/p99 save latency for batches of 1, 64 and 1,024 entries, with
// synchronous=FULL and NORMAL, and how long the main thread was busy per save
// (event-loop utilization: the rest of the time it was free for other work),
// and the CPU time of the whole process per save (all threads).
// Then, for batches of 1,024 with the loop yielding between saves (as a node
// serving sockets would), the event-loop delay: how late a repeating 1 ms
// timer fires (monitorEventLoopDelay, less the 1 ms it waits on purpose).
// BENCH_DIR picks the disk (default: the OS temp dir); BENCH_SECONDS the
// length of each run (default 3).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Entry } from "@raft/core/contracts";
import { SqliteLogStore, type SqliteSynchronous } from "@raft/log-sqlite";
import { Index, NodeId, Term } from "@raft/core/contracts";

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const warmupSeconds = 0.5;
const entryBytes = 256;
const root = process.env.BENCH_DIR ?? tmpdir();

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

interface Run {
  appended: number;
  latencies: number[];
  /** Milliseconds the main thread's event loop was busy (not waiting for I/O) during the measured part. */
  busyMs: number;
  /** CPU milliseconds (user + system) of the whole process, every thread, during the measured part. */
  cpuMs: number;
}

/** Saves batches back to back for `seconds` after a warm-up; `between` runs after each save. */
async function run(synchronous: SqliteSynchronous, batchSize: number, hooks: { start?: () => void; between?: () => Promise<void> } = {}): Promise<Run> {
  const dir = mkdtempSync(join(root, "raft-log-bench-"));
  try {
    const store = await SqliteLogStore.open({ path: join(dir, "log.db"), synchronous, integrityCheck: "off" });
    // Distinct payloads, reused across batches: the store copies them into the file.
    const payloads = Array.from({ length: batchSize }, () => new Uint8Array(randomBytes(entryBytes)));
    const latencies: number[] = [];
    let next = 1;
    let appended = 0;
    let elu: ReturnType<typeof performance.eventLoopUtilization> | undefined;
    let cpu: NodeJS.CpuUsage | undefined;
    const warmupEnd = performance.now() + warmupSeconds * 1000;
    const end = warmupEnd + seconds * 1000;
    for (;;) {
      const entries: Entry[] = payloads.map((data, k) => ({ index: Index.of(next + k), term: Term.of(1), kind: "normal", data }));
      const t0 = performance.now();
      if (t0 >= end) break;
      if (t0 >= warmupEnd && elu === undefined) {
        elu = performance.eventLoopUtilization();
        cpu = process.cpuUsage();
        hooks.start?.();
      }
      await store.save({ hardState: { term: Term.of(1), vote: NodeId.of(1), commit: Index.of(next - 1) }, entries });
      const t1 = performance.now();
      next += batchSize;
      if (t0 >= warmupEnd) {
        appended += batchSize;
        latencies.push(t1 - t0);
      }
      await hooks.between?.();
    }
    const busyMs = elu === undefined ? NaN : performance.eventLoopUtilization(elu).active;
    const used = cpu === undefined ? undefined : process.cpuUsage(cpu);
    const cpuMs = used === undefined ? NaN : (used.user + used.system) / 1000;
    await store.close();
    return { appended, latencies, busyMs, cpuMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(synchronous: SqliteSynchronous, batchSize: number): Promise<string> {
  const { appended, latencies, busyMs, cpuMs } = await run(synchronous, batchSize);
  const sorted = Float64Array.from(latencies).sort();
  const perSecond = Math.round(appended / seconds).toLocaleString("en-US");
  const busy = busyMs / latencies.length;
  return (
    `synchronous=${synchronous.padEnd(6)} batch ${String(batchSize).padStart(5)}: ${perSecond.padStart(9)} entries/s   ` +
    `save p50 ${percentile(sorted, 0.5).toFixed(3)} ms   p99 ${percentile(sorted, 0.99).toFixed(3)} ms   main thread busy ${busy.toFixed(3)} ms/save   CPU ${(cpuMs / latencies.length).toFixed(3)} ms/save`
  );
}

/** Batches of 1,024 saved back to back, yielding to the event loop between saves; a 1 ms timer measures how late the loop runs it. */
async function eventLoopDelay(synchronous: SqliteSynchronous): Promise<string> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const { latencies, busyMs } = await run(synchronous, 1024, { start: () => histogram.enable(), between: () => nextTurn() });
  histogram.disable();
  // The histogram holds the time between two runs of the timer: what exceeds its 1 ms is the delay.
  const ms = (ns: number) => Math.max(0, ns / 1e6 - 1).toFixed(2);
  return (
    `synchronous=${synchronous.padEnd(6)} batch  1024, yielding between saves: event-loop delay p50 ${ms(histogram.percentile(50))} ms   ` +
    `p99 ${ms(histogram.percentile(99))} ms   max ${ms(histogram.max)} ms   main thread busy ${(busyMs / latencies.length).toFixed(3)} ms/save`
  );
}

console.log(`SQLite log appends (@raft/log-sqlite, WAL, one transaction per save, ${entryBytes}-byte entries), ${seconds} s per run, files under ${root}`);
for (const synchronous of ["FULL", "NORMAL"] as const) {
  for (const batchSize of [1, 64, 1024]) console.log(await measure(synchronous, batchSize));
}
for (const synchronous of ["FULL", "NORMAL"] as const) console.log(await eventLoopDelay(synchronous));
