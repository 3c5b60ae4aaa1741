// Appends to @raft/log-sqlite as the runtime makes them: one save() per Ready,
// here a batch of 256-byte entries with a hard state, each resolved (committed,
// and with synchronous=FULL fsynced) before the next. Prints entries/s and
// p50/p99 save latency for batches of 1, 64 and 1,024 entries, with
// synchronous=FULL and NORMAL. BENCH_DIR picks the disk (default: the OS temp dir).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry } from "@raft/core/contracts";
import { SqliteLogStore, type SqliteSynchronous } from "@raft/log-sqlite";

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const warmupSeconds = 0.5;
const entryBytes = 256;
const root = process.env.BENCH_DIR ?? tmpdir();

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function measure(synchronous: SqliteSynchronous, batchSize: number): Promise<string> {
  const dir = mkdtempSync(join(root, "raft-log-bench-"));
  try {
    const store = await SqliteLogStore.open({ path: join(dir, "log.db"), synchronous, integrityCheck: "off" });
    // Distinct payloads, reused across batches: the store copies them into the file.
    const payloads = Array.from({ length: batchSize }, () => new Uint8Array(randomBytes(entryBytes)));
    const latencies: number[] = [];
    let next = 1;
    let appended = 0;
    const warmupEnd = performance.now() + warmupSeconds * 1000;
    const end = warmupEnd + seconds * 1000;
    for (;;) {
      const entries: Entry[] = payloads.map((data, k) => ({ index: next + k, term: 1, kind: "normal", data }));
      const t0 = performance.now();
      if (t0 >= end) break;
      await store.save({ hardState: { term: 1, vote: 1, commit: next - 1 }, entries });
      const t1 = performance.now();
      next += batchSize;
      if (t0 >= warmupEnd) {
        appended += batchSize;
        latencies.push(t1 - t0);
      }
    }
    await store.close();
    const sorted = Float64Array.from(latencies).sort();
    const perSecond = Math.round(appended / seconds).toLocaleString("en-US");
    return `synchronous=${synchronous.padEnd(6)} batch ${String(batchSize).padStart(5)}: ${perSecond.padStart(9)} entries/s   save p50 ${percentile(sorted, 0.5).toFixed(3)} ms   p99 ${percentile(sorted, 0.99).toFixed(3)} ms`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`SQLite log appends (@raft/log-sqlite, WAL, one transaction per save, ${entryBytes}-byte entries), ${seconds} s per run, files under ${root}`);
for (const synchronous of ["FULL", "NORMAL"] as const) {
  for (const batchSize of [1, 64, 1024]) console.log(await measure(synchronous, batchSize));
}
