import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DiskSnapshotStore } from "../src/index.js";
import { manifest, take, tempDir } from "./support.js";

// Random, not the periodic `bytes()` of the other tests: a read from the wrong offset must show.
const MiB = 1 << 20;
const onLinux = process.platform === "linux";

async function withStore(directIo: boolean, fn: (store: DiskSnapshotStore) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir();
  const store = await DiskSnapshotStore.open({ dir, directIo });
  try {
    await fn(store);
  } finally {
    await store.close();
    await remove();
  }
}

/** Receives `files` in chunks of `chunk` bytes, flushing after every `flushEvery` chunks; returns the committed manifest. */
async function receive(store: DiskSnapshotStore, files: Record<string, Uint8Array>, chunk: number, flushEvery: number) {
  const meta = manifest(7, 1, files);
  const { writer } = await store.receive(meta);
  let n = 0;
  for (const [name, data] of Object.entries(files)) {
    for (let at = 0; at < data.length; at += chunk) {
      await writer.write(name, data.subarray(at, at + chunk));
      if (++n % flushEvery === 0) await writer.flush();
    }
  }
  return writer.commit();
}

async function readBack(store: DiskSnapshotStore, id: string, file: string, options: { offset?: number; chunkSize?: number; reuseBuffers?: boolean }) {
  const parts: Buffer[] = [];
  for await (const c of store.open(id, file, options)) parts.push(Buffer.from(c)); // copied: a reused chunk changes on the next pull
  return Buffer.concat(parts);
}

/** Bytes of `path` in the page cache, as util-linux's fincore counts them. */
function cachedBytes(path: string): number {
  return Number(execFileSync("fincore", ["--bytes", "--noheadings", "--raw", "--output", "RES", path], { encoding: "utf8" }).trim());
}

describe.each([true, false])("DiskSnapshotStore with directIo: %s", (directIo) => {
  it("receives chunks of any size with flushes anywhere, and reads them back from any offset in any chunk size", () =>
    withStore(directIo, async (store) => {
      const files = { "a.bin": randomBytes(3 * MiB + 4321), "b.bin": randomBytes(1), "c.bin": randomBytes(MiB), "empty.bin": new Uint8Array(0) };
      const meta = await receive(store, files, 333_333, 3);
      await store.verify(meta.id);
      const a = Buffer.from(files["a.bin"]);
      for (const options of [{}, { reuseBuffers: true }, { reuseBuffers: true, offset: 12_345, chunkSize: 777_777 }, { reuseBuffers: true, offset: 4096, chunkSize: 4096 }]) {
        expect(Buffer.compare(await readBack(store, meta.id, "a.bin", options), a.subarray(options.offset ?? 0))).toBe(0);
      }
      expect(Buffer.compare(await readBack(store, meta.id, "c.bin", { reuseBuffers: true }), Buffer.from(files["c.bin"]))).toBe(0);
      expect((await readBack(store, meta.id, "b.bin", { reuseBuffers: true, offset: 1 })).length).toBe(0);
    }));

  it("resumes a reception at a durable length that is not block-aligned", async () => {
    const { dir, remove } = await tempDir();
    try {
      const data = randomBytes(3 * MiB);
      const meta = manifest(8, 1, { "a.bin": data });
      const first = await DiskSnapshotStore.open({ dir, directIo });
      const { writer } = await first.receive(meta);
      await writer.write("a.bin", data.subarray(0, 1_234_567));
      await writer.flush();
      await writer.write("a.bin", data.subarray(1_234_567, 2_900_000)); // not flushed: cut off on resume
      await first.close();

      const second = await DiskSnapshotStore.open({ dir, directIo });
      const resumed = await second.receive(meta);
      expect(resumed.progress.get("a.bin")).toBe(1_234_567);
      for (let at = 1_234_567; at < data.length; at += 100_000) await resumed.writer.write("a.bin", data.subarray(at, at + 100_000));
      await resumed.writer.commit();
      await second.verify(meta.id);
      expect(Buffer.compare(await readBack(second, meta.id, "a.bin", { reuseBuffers: true }), Buffer.from(data))).toBe(0);
      await second.close();
    } finally {
      await remove();
    }
  });

  it("detects a received file that does not match its manifest", () =>
    withStore(directIo, async (store) => {
      const data = randomBytes(2 * MiB + 10);
      const meta = manifest(9, 1, { "a.bin": data });
      const { writer } = await store.receive(meta);
      const wrong = Buffer.from(data);
      wrong[MiB + 5] = (wrong[MiB + 5] ?? 0) ^ 1;
      await writer.write("a.bin", wrong);
      await expect(writer.commit()).rejects.toMatchObject({ code: "Corrupt" });
      expect(await store.list()).toEqual([]);
    }));
});

describe.runIf(onLinux)("direct I/O on Linux", () => {
  it("keeps snapshots received or created, their hashing and a restore's read out of the page cache", async () => {
    const cached: Record<string, number> = {};
    for (const directIo of [true, false]) {
      await withStore(directIo, async (store) => {
        const received = await receive(store, { "a.bin": randomBytes(8 * MiB + 100) }, MiB, 4);
        const created = await take(store, 9, { "b.bin": randomBytes(8 * MiB + 100) });
        for (const [meta, file] of [
          [received, "a.bin"],
          [created, "b.bin"],
        ] as const) {
          await readBack(store, meta.id, file, { reuseBuffers: true });
          cached[`${file} ${directIo}`] = cachedBytes(join(store.dir, "snapshots", meta.id, "files", file));
        }
      });
    }
    // Direct: at most the partial blocks a flush wrote through the cache. Buffered: all of it.
    expect(cached["a.bin true"]).toBeLessThanOrEqual(64 * 1024);
    expect(cached["b.bin true"]).toBeLessThanOrEqual(64 * 1024);
    expect(cached["a.bin false"]).toBeGreaterThanOrEqual(8 * MiB);
    expect(cached["b.bin false"]).toBeGreaterThanOrEqual(8 * MiB);
  });
});
