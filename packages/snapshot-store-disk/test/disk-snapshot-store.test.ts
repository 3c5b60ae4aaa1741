import { readFile, stat, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { runSnapshotStoreContract } from "@raft/core/conformance";
import { describe, expect, it } from "vitest";
import { DiskSnapshotStore } from "../src/index.js";
import { bytes, codeOf, entries, flipByte, manifest, readAll, recordingLogger, take, tempDir } from "./support.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

for (const directIo of [true, false])
  runSnapshotStoreContract(`DiskSnapshotStore (${directIo ? "direct" : "buffered"} I/O)`, {
    durable: true,
    async create() {
      const { dir, remove } = await tempDir();
      const store = await DiskSnapshotStore.open({ dir, directIo });
      return {
        store,
        reopen: () => DiskSnapshotStore.open({ dir, directIo }),
        async dispose() {
          await store.close();
          await remove();
        },
      };
    },
    corrupt: (store, id, file) => flipByte(join((store as DiskSnapshotStore).dir, "snapshots", id, "files", file)),
    async corruptManifest(store, id) {
      const path = join((store as DiskSnapshotStore).dir, "snapshots", id, "manifest.json");
      const meta = JSON.parse(await readFile(path, "utf8")) as { size: number };
      await writeFile(path, JSON.stringify({ ...meta, size: meta.size + 1 })); // valid JSON, wrong sum
    },
  });

describe("DiskSnapshotStore", () => {
  const A = bytes(5000, 1);
  const B = bytes(300, 2);

  async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
    const { dir, remove } = await tempDir();
    try {
      await fn(dir);
    } finally {
      await remove();
    }
  }

  it("lays snapshots out as snapshots/<id>/{manifest.json,files/<name>}", () =>
    withDir(async (dir) => {
      const store = await DiskSnapshotStore.open({ dir, now: () => 77 });
      const meta = await take(store, 3, { "state.bin": A });
      const root = join(dir, "snapshots", meta.id);
      expect(JSON.parse(await readFile(join(root, "manifest.json"), "utf8"))).toEqual(meta);
      expect(meta.createdAt).toBe(77);
      expect(Buffer.from(await readFile(join(root, "files", "state.bin"))).equals(Buffer.from(A))).toBe(true);
      expect(await entries(join(dir, "tmp"))).toEqual([]);
      await store.close();
    }));

  it("quarantines snapshots whose manifest is garbage, logs them, and serves the rest", () =>
    withDir(async (dir) => {
      const store = await DiskSnapshotStore.open({ dir });
      const good = await take(store, 1, { "state.bin": A });
      const bad = await take(store, 2, { "state.bin": B });
      await store.close();
      await writeFile(join(dir, "snapshots", bad.id, "manifest.json"), "{not json");
      await mkdir(join(dir, "snapshots", "not-an-id"));
      await writeFile(join(dir, "snapshots", "0000000000000009-1-0123456789abcdef"), "a file, not a directory");
      const logger = recordingLogger();
      const again = await DiskSnapshotStore.open({ dir, logger });
      expect(await again.list()).toEqual([good]);
      expect(await codeOf(again.get(bad.id))).toBe("NotFound");
      expect((await entries(join(dir, "quarantine"))).length).toBe(3);
      expect(logger.warnings.map((w) => String(w.fields?.path))).toEqual(expect.arrayContaining([join(dir, "snapshots", bad.id)]));
      expect(logger.warnings.length).toBe(3);
      expect(await take(again, 3, { "state.bin": B })).toMatchObject({ index: 3 });
      await again.close();
    }));

  it.each([
    { io: "buffered", directIo: false, unflushed: 500, onDisk: 1500 },
    // Direct writes go a 1 MiB stage at a time: two stages reached the disk, the last 500 bytes were only gathered.
    { io: "direct", directIo: true, unflushed: (2 << 20) + 500, onDisk: 2 << 20 },
  ])("keeps a reception's flushed bytes across a reopen and cuts off the rest on disk ($io I/O)", ({ directIo, unflushed, onDisk }) =>
    withDir(async (dir) => {
      const state = bytes(1000 + unflushed + 5000, 3);
      const meta = manifest(9, 2, { "state.bin": state, "index.json": B });
      const store = await DiskSnapshotStore.open({ dir, directIo });
      const { writer } = await store.receive(meta);
      await writer.write("state.bin", state.subarray(0, 1000));
      await writer.flush();
      await writer.write("state.bin", state.subarray(1000, 1000 + unflushed));
      await store.close();
      const file = join(dir, "partial", meta.id, "files", "state.bin");
      expect((await stat(file)).size).toBe(onDisk);
      expect(JSON.parse(await readFile(join(dir, "partial", meta.id, "progress.json"), "utf8")).durable).toEqual({ "state.bin": 1000, "index.json": 0 });

      const again = await DiskSnapshotStore.open({ dir, directIo });
      const resumed = await again.receive(meta);
      expect(resumed.progress.get("state.bin")).toBe(1000);
      expect((await stat(file)).size).toBe(1000);
      await resumed.writer.write("state.bin", state.subarray(1000));
      await resumed.writer.write("index.json", B);
      await resumed.writer.commit();
      expect(await entries(join(dir, "partial"))).toEqual([]);
      expect((await entries(join(dir, "snapshots", meta.id))).sort()).toEqual(["files", "manifest.json"]);
      await again.verify(meta.id);
      expect(Buffer.compare(await readAll(again, meta.id, "state.bin"), state)).toBe(0);
      await again.close();
    }),
  );

  it("restarts a reception whose progress.json is unreadable, with a warning", () =>
    withDir(async (dir) => {
      const meta = manifest(9, 2, { "state.bin": A });
      const store = await DiskSnapshotStore.open({ dir });
      const { writer } = await store.receive(meta);
      await writer.write("state.bin", A.subarray(0, 1000));
      await writer.flush();
      await store.close();
      await writeFile(join(dir, "partial", meta.id, "progress.json"), '{"meta": 12');
      const logger = recordingLogger();
      const again = await DiskSnapshotStore.open({ dir, logger });
      expect(await entries(join(dir, "partial"))).toEqual([]);
      expect(logger.warnings.length).toBeGreaterThan(0);
      expect((await again.receive(meta)).progress.get("state.bin")).toBe(0);
      await again.close();
    }));

  it("links files it already holds, and never writes through such a link", () =>
    withDir(async (dir) => {
      const store = await DiskSnapshotStore.open({ dir });
      const held = await take(store, 1, { "state.bin": A });
      const meta = manifest(5, 1, { "state.bin": A, "log.bin": B });
      const first = await store.receive(meta);
      expect(first.progress.get("state.bin")).toBe(A.length);
      const source = join(dir, "snapshots", held.id, "files", "state.bin");
      const linked = join(dir, "partial", meta.id, "files", "state.bin");
      expect((await stat(linked)).ino).toBe((await stat(source)).ino);
      await store.close();

      // A stale record (as if a crash came between the link and progress.json) must not cut the shared file.
      const progressPath = join(dir, "partial", meta.id, "progress.json");
      const record = JSON.parse(await readFile(progressPath, "utf8")) as { durable: Record<string, number> };
      await writeFile(progressPath, JSON.stringify({ ...record, durable: { "state.bin": 10, "log.bin": 0 } }));
      const again = await DiskSnapshotStore.open({ dir });
      const { writer, progress } = await again.receive(meta);
      expect(progress.get("state.bin")).toBe(A.length);
      await again.verify(held.id);
      await writer.write("log.bin", B);
      await writer.commit();
      expect(await again.prune(1)).toEqual([held.id]);
      await again.verify(meta.id);
      expect(Buffer.from(await readAll(again, meta.id, "state.bin")).equals(Buffer.from(A))).toBe(true);
      await again.close();
    }));

  it("stops writers on close: they reject with Aborted, their temp data goes, and the store refuses work", () =>
    withDir(async (dir) => {
      const store = await DiskSnapshotStore.open({ dir });
      const w = await store.create({ index: Index.of(1), term: Term.of(1), membership: { voters: [NodeId.of(1)], learners: [] } });
      await w.write("state.bin", A);
      await store.close();
      await store.close();
      expect(await codeOf(w.write("state.bin", B))).toBe("Aborted");
      expect(await codeOf(w.commit())).toBe("Aborted");
      expect(await entries(join(dir, "tmp"))).toEqual([]);
      expect(await codeOf(store.list())).toBe("StorageFailure");
    }));

  it("works without fsync", () =>
    withDir(async (dir) => {
      const store = await DiskSnapshotStore.open({ dir, fsync: false });
      const meta = await take(store, 1, { "state.bin": A });
      await store.verify(meta.id);
      await store.close();
    }));

  it("refuses bad options", async () => {
    const cases: [object, string][] = [
      [{ dir: "" }, "dir"],
      [{ dir: 5 }, "dir"],
      [{ dir: "/tmp/x", fsync: "yes" }, "fsync"],
      [{ dir: "/tmp/x", now: 5 }, "now"],
      [{ dir: "/tmp/x", logger: { info() {} } }, "logger"],
      [{ dir: "/tmp/x", fsinc: false }, "fsinc"],
    ];
    for (const [options, field] of cases) {
      await expect(DiskSnapshotStore.open(options as never), field).rejects.toMatchObject({ code: "InvalidConfig", message: expect.stringContaining(`options: ${field}:`) });
    }
  });
});
