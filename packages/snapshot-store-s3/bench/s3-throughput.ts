// Upload and download throughput of S3SnapshotStore against a local s3rver
// (test/fixtures/s3-server.mjs, in its own process), with this process's
// peak RSS. Runs the built package: `pnpm --filter @raft/snapshot-store-s3 bench`.
//
// Environment: S3_BENCH_MIB (default 1024), S3_BENCH_PART_MIB (8),
// S3_BENCH_PARALLELISM (4).

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { S3SnapshotStore } from "@raft/snapshot-store-s3";
import { Index, NodeId, Term } from "@raft/core/contracts";

const MiB = 1 << 20;
const sizeMiB = Number(process.env.S3_BENCH_MIB ?? 1024);
const partSize = Number(process.env.S3_BENCH_PART_MIB ?? 8) * MiB;
const parallelism = Number(process.env.S3_BENCH_PARALLELISM ?? 4);
const pkg = fileURLToPath(new URL("../../", import.meta.url));

process.env.AWS_ACCESS_KEY_ID ??= "S3RVER";
process.env.AWS_SECRET_ACCESS_KEY ??= "S3RVER";

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Peak RSS over the phase, sampled on every chunk. */
class Peak {
  readonly base: number;
  peak: number;
  constructor() {
    gc();
    this.base = process.memoryUsage().rss;
    this.peak = this.base;
  }
  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }
}

async function startServer(dir: string): Promise<{ endpoint: string; stop(): void }> {
  const proc = spawn(process.execPath, [join(pkg, "test", "fixtures", "s3-server.mjs"), dir, "raft-bench"], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (t: string) => {
      out += t;
      const m = /listening (\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    proc.once("exit", (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => {
      if (proc.pid !== undefined && proc.exitCode === null) process.kill(proc.pid, "SIGKILL");
    },
  };
}

const mbps = (bytes: number, ms: number) => (bytes / MiB / (ms / 1000)).toFixed(1);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "raft-s3-bench-"));
  const server = await startServer(dir);
  try {
    const store = await S3SnapshotStore.open({ bucket: "raft-bench", prefix: "bench", endpoint: server.endpoint, forcePathStyle: true, partSize, parallelism });
    const size = sizeMiB * MiB;
    const chunk = new Uint8Array(MiB);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;

    const up = new Peak();
    let started = performance.now();
    const writer = await store.create({ index: Index.of(1), term: Term.of(1), membership: { voters: [NodeId.of(1)], learners: [] } });
    for (let i = 0; i < sizeMiB; i++) {
      new DataView(chunk.buffer).setUint32(0, i); // distinct chunks
      await writer.write("state.bin", chunk);
      up.sample();
    }
    const meta = await writer.commit();
    const upMs = performance.now() - started;

    const down = new Peak();
    started = performance.now();
    const hash = createHash("sha256");
    let read = 0;
    for await (const c of store.open(meta.id, "state.bin")) {
      hash.update(c);
      read += c.length;
      down.sample();
    }
    const downMs = performance.now() - started;
    if (read !== size || hash.digest("hex") !== meta.files[0]?.sha256) throw new Error("read back different bytes");

    console.log(`S3SnapshotStore on s3rver (127.0.0.1), ${sizeMiB} MiB, partSize ${partSize / MiB} MiB, parallelism ${parallelism}`);
    console.log(
      `  upload (create, write 1 MiB chunks, commit): ${mbps(size, upMs)} MB/s, ${(upMs / 1000).toFixed(1)} s, peak RSS ${(up.peak / MiB).toFixed(0)} MiB (+${((up.peak - up.base) / MiB).toFixed(0)})`,
    );
    console.log(
      `  download (open, ranged GET, 1 MiB chunks, SHA-256): ${mbps(size, downMs)} MB/s, ${(downMs / 1000).toFixed(1)} s, peak RSS ${(down.peak / MiB).toFixed(0)} MiB (+${((down.peak - down.base) / MiB).toFixed(0)})`,
    );
    await store.close();
  } finally {
    server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
