import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { HashThread } from "../src/hash-thread.js";
import { recordingLogger, tempDir } from "./support.js";

const MiB = 1 << 20;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** `data` on disk, and the same bytes in shared memory, as a direct writer holds them. */
async function fileAndMemory(data: Uint8Array): Promise<{ path: string; memory: SharedArrayBuffer; remove: () => Promise<void> }> {
  const { dir, remove } = await tempDir();
  const path = join(dir, "a.bin");
  await writeFile(path, data);
  const memory = new SharedArrayBuffer(data.length);
  new Uint8Array(memory).set(data);
  return { path, memory, remove };
}

describe("HashThread", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setUp(data: Uint8Array) {
    const hasher = new HashThread(recordingLogger());
    const f = await fileAndMemory(data);
    cleanups.push(() => hasher.close(), f.remove);
    return { hasher, ...f };
  }

  it("hashes a prefix from disk, then the ranges handed over, skipping what they repeat", async () => {
    const data = randomBytes(3 * MiB + 123);
    const { hasher, path, memory } = await setUp(data);
    const job = hasher.start(path, { direct: true });
    job.advance(5000); // a resumed file: its first 5000 bytes were on disk already
    await new Promise((r) => setTimeout(r, 50)); // hashed from disk by now, so the first range repeats 904 of them (either way, the digest must be right)
    // As a writer's buffers: the first starts at the block holding byte 5000; the memory mirrors the file.
    const ranges = [
      [4096, MiB],
      [4096 + MiB, MiB],
      [4096 + 2 * MiB, data.length - 4096 - 2 * MiB],
    ] as const;
    await Promise.all(ranges.map(([at, length]) => job.handOver(memory, at, length, at)));
    expect(await job.finish(data.length)).toEqual({ size: data.length, sha256: sha256(data) });
  });

  it("reports a range handed over past a gap instead of a digest", async () => {
    const data = randomBytes(2 * MiB);
    const { hasher, path, memory } = await setUp(data);
    const job = hasher.start(path, { direct: true });
    void job.handOver(memory, MiB, MiB, MiB); // bytes [0, 1 MiB) were never announced
    await expect(job.finish(data.length)).rejects.toThrow(/gap/);
  });

  it("lets a writer go on when the thread dies, and hashes from disk instead", async () => {
    const data = randomBytes(2 * MiB + 7);
    const { hasher, path, memory } = await setUp(data);
    const job = hasher.start(path, { direct: true });
    const worker = (hasher as unknown as { worker: Worker }).worker;
    await worker.terminate();
    await job.handOver(memory, 0, MiB, 0); // resolves: nothing is left to wait for
    expect(await job.finish(data.length)).toEqual({ size: data.length, sha256: sha256(data) });
  });

  it("releases the memory handed over when a job is cancelled", async () => {
    const data = randomBytes(4 * MiB);
    const { hasher, path, memory } = await setUp(data);
    const job = hasher.start(path, { direct: true });
    // Past a gap: the thread can never hash these, so only the cancel can free them.
    const acks = [1, 2, 3].map((i) => job.handOver(memory, i * MiB, MiB, i * MiB));
    await new Promise((r) => setTimeout(r, 20));
    job.cancel();
    await Promise.all(acks);
  });
});
