import { describe, expect, it } from "vitest";
import type { SnapshotStore } from "../contracts/index.js";
import { isSnapshotId, manifestDigest } from "../contracts/snapshot-manifest.js";
import { A, B, bytes, draft, files, hex, manifest, read, rejection, take, writeNew, writeRest, type Files, type Session } from "./snapshot-fixtures.js";
import { retentionCases } from "./snapshot-store-retention.js";

export interface SnapshotStoreFactory {
  /** Durable stores also prove that committed snapshots and flushed receptions survive a reopen. */
  readonly durable: boolean;
  /**
   * A fresh, empty store. `reopen` (required when durable) closes nothing
   * itself: the suite closes the current store first, then asks for a new
   * instance over the same data.
   */
  create(): Promise<{ store: SnapshotStore; reopen?: () => Promise<SnapshotStore>; dispose(): Promise<void> }>;
  /** Damages the stored bytes of a committed file; enables the `verify()` test. */
  corrupt?(store: SnapshotStore, id: string, file: string): Promise<void>;
  /** Damages a committed snapshot's stored manifest; enables the read-back validation test (durable stores). */
  corruptManifest?(store: SnapshotStore, id: string): Promise<void>;
}

/**
 * The `SnapshotStore` port's contract, as vitest tests. An adapter's test
 * file calls this once; a third-party adapter can do the same.
 */
export function runSnapshotStoreContract(name: string, factory: SnapshotStoreFactory): void {
  describe(`SnapshotStore contract: ${name}`, () => {
    async function withStore(fn: (s: Session) => Promise<void>): Promise<void> {
      const { store, reopen, dispose } = await factory.create();
      const opened: SnapshotStore[] = [];
      const session: Session = {
        store,
        async reopen() {
          if (reopen === undefined) throw new Error("a durable store's factory must provide reopen()");
          await session.store.close();
          session.store = await reopen();
          opened.push(session.store);
          return session.store;
        },
      };
      try {
        await fn(session);
      } finally {
        for (const s of opened) await s.close();
        await dispose();
      }
    }

    it("starts empty", () =>
      withStore(async ({ store }) => {
        expect(await store.latest()).toBeUndefined();
        expect(await store.list()).toEqual([]);
        await rejection(store.get(manifest(1, 1, []).id), "NotFound");
      }));

    it("commits a multi-file, multi-chunk snapshot whose manifest describes exactly what was written", () =>
      withStore(async ({ store }) => {
        const meta = await take(store, draft(42, 3), files, 333);
        const expected = manifest(42, 3, files);
        expect({ ...meta, createdAt: 0 }).toEqual({ ...expected, createdAt: 0 });
        expect(isSnapshotId(meta.id)).toBe(true);
        expect(meta.size).toBe(3200);
        expect(Number.isSafeInteger(meta.createdAt)).toBe(true);
        expect(await store.get(meta.id)).toEqual(meta);
        expect(await store.latest()).toEqual(meta);
        expect(await store.list()).toEqual([meta]);
        for (const [file, b] of files) expect(hex((await read(store, meta.id, file)).bytes)).toBe(hex(b));
        await store.verify(meta.id);
      }));

    it("reads from an offset in chunks of the requested size, into fresh or reused buffers", () =>
      withStore(async ({ store }) => {
        const { id } = await take(store, draft(1), files);
        for (const reuseBuffers of [false, true])
          for (const [offset, chunkSize] of [
            [0, 1000],
            [1, 7],
            [2499, 64],
            [100, 1 << 20],
            [2500, 10],
          ] as const) {
            const { bytes: got, sizes } = await read(store, id, "state.bin", { offset, chunkSize, reuseBuffers });
            expect(hex(got)).toBe(hex(A.subarray(offset)));
            expect(sizes.length).toBe(Math.ceil((A.length - offset) / chunkSize));
            expect(sizes.slice(0, -1).every((n) => n === chunkSize)).toBe(true);
          }
        // Without reuseBuffers every chunk is the consumer's to keep: read on, and the first ones still hold their bytes.
        const kept: Uint8Array[] = [];
        for await (const c of store.open(id, "state.bin", { chunkSize: 300 })) kept.push(c);
        expect(hex(Buffer.concat(kept))).toBe(hex(A));
        // With it, a chunk stays intact until the next pull, however long the consumer takes with it.
        const slow: Uint8Array[] = [];
        for await (const c of store.open(id, "state.bin", { chunkSize: 700, reuseBuffers: true })) {
          await new Promise((r) => setTimeout(r, 2));
          slow.push(c.slice());
        }
        expect(hex(Buffer.concat(slow))).toBe(hex(A));
        expect((await read(store, id, "empty")).sizes).toEqual([]);
        await rejection(read(store, id, "state.bin", { offset: 2501 }), "InvalidConfig");
        await rejection(read(store, id, "state.bin", { chunkSize: 0 }), "InvalidConfig");
        await rejection(read(store, id, "missing.bin"), "NotFound");
        await rejection(read(store, manifest(9, 9, []).id, "state.bin"), "NotFound");
      }));

    it("gives equal content at the same position the same id, and commits it once", () =>
      withStore(async ({ store }) => {
        const a = await take(store, draft(5, 2), files, 100);
        const b = await take(store, draft(5, 2), files, 999);
        expect(b).toEqual(a);
        expect(await store.list()).toEqual([a]);
        const other = await take(store, draft(5, 2), [["state.bin", B]]);
        const later = await take(store, draft(6, 2), files);
        expect(new Set([a.id, other.id, later.id]).size).toBe(3);
      }));

    it("commits a snapshot with no files", () =>
      withStore(async ({ store }) => {
        const meta = await take(store, draft(3), []);
        expect([meta.files, meta.size, meta.sha256]).toEqual([[], 0, manifestDigest([])]);
        await store.verify(meta.id);
      }));

    it("orders snapshots by index, then term, then id", () =>
      withStore(async ({ store }) => {
        // Terms 9 and 10: their ids sort the other way round as strings, so only a term comparison gets this right.
        const metas = [await take(store, draft(5), files), await take(store, draft(10, 9), files), await take(store, draft(7), files), await take(store, draft(10, 10), files)];
        expect((await store.list()).map((m) => [m.index, m.term])).toEqual([
          [10, 10],
          [10, 9],
          [7, 1],
          [5, 1],
        ]);
        expect((await store.latest())?.id).toBe(metas[3]?.id);
        const twins = [await take(store, draft(20), [["a", A]]), await take(store, draft(20), [["a", B]])].sort((x, y) => (x.id < y.id ? 1 : -1));
        expect((await store.list()).slice(0, 2)).toEqual(twins);
      }));

    it("abort leaves nothing, and a writer that never commits stays invisible", () =>
      withStore(async ({ store }) => {
        const w = await store.create(draft(1));
        await writeNew(w, files, 500);
        await w.flush();
        await w.abort();
        await rejection(w.write("more", B), "Aborted");
        const pending = await store.create(draft(2));
        await writeNew(pending, files, 500);
        await pending.flush();
        expect(await store.list()).toEqual([]);
        expect(await store.latest()).toBeUndefined();
        const meta = await take(store, draft(3), files);
        expect(await store.list()).toEqual([meta]);
      }));

    it("refuses bad file names and reopening a closed file, and the writer goes on", () =>
      withStore(async ({ store }) => {
        const w = await store.create(draft(1));
        for (const bad of ["", "../x", "a/b", ".hidden", "a..b", "x".repeat(129)]) await rejection(w.write(bad, B), "InvalidConfig");
        await w.write("a", A);
        await w.write("b", B);
        await rejection(w.write("a", B), "InvalidConfig");
        const meta = await w.commit();
        expect(meta.files.map((f) => [f.name, f.size])).toEqual([
          ["a", A.length],
          ["b", B.length],
        ]);
        await rejection(w.write("c", B), "InvalidConfig");
      }));

    it("treats malformed ids as unknown, without touching storage", () =>
      withStore(async ({ store }) => {
        await take(store, draft(1), files);
        for (const id of ["", "..", "../../etc", "/etc/passwd", "0000000000000001-1-zzzzzzzzzzzzzzzz", `${manifest(1, 1, files).id}/..`]) {
          await rejection(store.get(id), "NotFound");
          await rejection(store.verify(id), "NotFound");
          await rejection(read(store, id, "state.bin"), "NotFound");
        }
        const { id } = await take(store, draft(2), files);
        for (const file of ["../manifest.json", "..", "/etc/passwd"]) await rejection(read(store, id, file), "NotFound");
      }));

    it("receives a snapshot and publishes the sender's manifest", () =>
      withStore(async ({ store }) => {
        const meta = manifest(9, 2, files);
        const { writer, progress } = await store.receive(meta);
        expect(files.every(([f, b]) => (progress.get(f) ?? 0) === 0 || b.length === 0)).toBe(true);
        await writeRest(writer, files, 256);
        expect(await writer.commit()).toEqual(meta);
        expect(await store.get(meta.id)).toEqual(meta);
        for (const [file, b] of files) expect(hex((await read(store, meta.id, file)).bytes)).toBe(hex(b));
        await store.verify(meta.id);
      }));

    it("is done with a written chunk once write() resolves: the caller may reuse one buffer", () =>
      withStore(async ({ store }) => {
        const meta = manifest(9, 2, files);
        const { writer } = await store.receive(meta);
        const buffer = new Uint8Array(300);
        for (const [file, b] of files) {
          for (let at = 0; at < b.length; at += buffer.length) {
            const chunk = buffer.subarray(0, Math.min(buffer.length, b.length - at));
            chunk.set(b.subarray(at, at + chunk.length));
            await writer.write(file, chunk);
            buffer.fill(0xee); // what a writer still holding the chunk would store
          }
        }
        expect(await writer.commit()).toEqual(meta);
        for (const [file, b] of files) expect(hex((await read(store, meta.id, file)).bytes)).toBe(hex(b));
      }));

    it("abort discards a reception and its progress", () =>
      withStore(async ({ store }) => {
        const meta = manifest(9, 2, files);
        const first = await store.receive(meta);
        await first.writer.write("state.bin", A.subarray(0, 500));
        await first.writer.flush();
        await first.writer.abort();
        await rejection(first.writer.write("state.bin", A.subarray(500, 501)), "Aborted");
        await rejection(store.get(meta.id), "NotFound");
        expect((await store.receive(meta)).progress.get("state.bin") ?? 0).toBe(0);
      }));

    it("refuses a manifest that does not check out", () =>
      withStore(async ({ store }) => {
        const meta = manifest(9, 2, files);
        await rejection(store.receive({ ...meta, sha256: "0".repeat(64) }), "Corrupt");
        await rejection(store.receive({ ...meta, size: meta.size + 1 }), "Corrupt");
        await rejection(store.receive({ ...meta, id: "../escape" }), "Corrupt");
      }));

    it("polices received writes: known files only, never past the size or into a complete file", () =>
      withStore(async ({ store }) => {
        const meta = manifest(9, 2, files);
        const { writer } = await store.receive(meta);
        await rejection(writer.write("other.bin", B), "InvalidConfig");
        await rejection(writer.write("../state.bin", B), "InvalidConfig");
        await rejection(writer.write("index.json", bytes(701, 2)), "Corrupt");
        await writer.write("index.json", B);
        await rejection(writer.write("index.json", B.subarray(0, 1)), "Corrupt");
        await writer.write("state.bin", A);
        expect(await writer.commit()).toEqual(meta);
      }));

    async function resumes(reopen: boolean) {
      await withStore(async (session) => {
        const meta = manifest(9, 2, files);
        const first = await session.store.receive(meta);
        await first.writer.write("state.bin", A.subarray(0, 1000));
        await first.writer.write("state.bin", A.subarray(1000, 1200));
        await first.writer.flush();
        await first.writer.write("state.bin", A.subarray(1200, 1500)); // not flushed: lost
        const store = reopen ? await session.reopen() : session.store;
        const second = await store.receive(meta);
        expect(second.progress.get("state.bin")).toBe(1200);
        expect(second.progress.get("index.json") ?? 0).toBe(0);
        if (!reopen) await rejection(first.writer.write("state.bin", A.subarray(1200, 1201)), "Aborted");
        await rejection(second.writer.write("state.bin", A.subarray(1199)), "Corrupt");
        await writeRest(second.writer, files, 400, second.progress);
        expect(await second.writer.commit()).toEqual(meta);
        expect(hex((await read(store, meta.id, "state.bin")).bytes)).toBe(hex(A));
        await store.verify(meta.id);
      });
    }

    it("resumes a reception at its flushed offset after a second receive", () => resumes(false));
    if (factory.durable) it("resumes a reception at its flushed offset after a reopen", () => resumes(true));

    it("lets writes go on while a flush is pending: the flush covers what was written before it, in call order", () =>
      withStore(async ({ store }) => {
        const meta = manifest(9, 2, files);
        const first = await store.receive(meta);
        await first.writer.write("state.bin", A.subarray(0, 700));
        const flushed = first.writer.flush(); // not awaited: the next writes are issued meanwhile
        const writes = [first.writer.write("state.bin", A.subarray(700, 900)), first.writer.write("state.bin", A.subarray(900, 1000))];
        const second = first.writer.flush();
        await Promise.all([flushed, ...writes, second]);
        const resumed = await store.receive(meta);
        expect(resumed.progress.get("state.bin")).toBe(1000);
        await writeRest(resumed.writer, files, 300, resumed.progress);
        expect(await resumed.writer.commit()).toEqual(meta);
        expect(hex((await read(store, meta.id, "state.bin")).bytes)).toBe(hex(A));
      }));

    it("reports a flushed complete file as done, and resumes the next one", () =>
      withStore(async ({ store }) => {
        const meta = manifest(9, 2, files);
        const first = await store.receive(meta);
        await first.writer.write("state.bin", A);
        await first.writer.write("index.json", B.subarray(0, 10));
        await first.writer.flush();
        const { writer, progress } = await store.receive(meta);
        expect([progress.get("state.bin"), progress.get("index.json")]).toEqual([A.length, 10]);
        await rejection(writer.write("state.bin", A.subarray(0, 1)), "Corrupt");
        await writeRest(writer, files, 300, progress);
        expect(await writer.commit()).toEqual(meta);
      }));

    it("discards a reception whose bytes do not match, so the next one starts over", () =>
      withStore(async ({ store }) => {
        const meta = manifest(9, 2, files);
        const bad = await store.receive(meta);
        const wrong = A.slice();
        wrong[2000] = (wrong[2000] ?? 0) ^ 1;
        await bad.writer.write("state.bin", wrong);
        await bad.writer.write("index.json", B);
        await bad.writer.flush();
        const e = await rejection(bad.writer.commit(), "Corrupt");
        expect(e.message).toContain("state.bin");
        await rejection(store.get(meta.id), "NotFound");
        expect(await store.list()).toEqual([]);
        const again = await store.receive(meta);
        expect([again.progress.get("state.bin") ?? 0, again.progress.get("index.json") ?? 0]).toEqual([0, 0]);
        await again.writer.write("state.bin", A);
        await again.writer.write("index.json", B.subarray(1));
        expect((await rejection(again.writer.commit(), "Corrupt")).message).toContain("index.json");
        const third = await store.receive(meta);
        await writeRest(third.writer, files, 1000, third.progress);
        expect(await third.writer.commit()).toEqual(meta);
      }));

    it("takes files it already holds (same name, size and checksum) instead of receiving them", () =>
      withStore(async ({ store }) => {
        const held = await take(store, draft(5), [
          ["state.bin", A],
          ["index.json", B],
        ]);
        const changed = bytes(700, 3);
        const next: Files = [
          ["state.bin", A],
          ["index.json", changed],
          ["log.bin", B],
        ];
        const meta = manifest(8, 2, next);
        const { writer, progress } = await store.receive(meta);
        expect([progress.get("state.bin"), progress.get("index.json") ?? 0, progress.get("log.bin") ?? 0]).toEqual([A.length, 0, 0]);
        await writer.write("index.json", changed);
        await writer.write("log.bin", B);
        expect(await writer.commit()).toEqual(meta);
        for (const [file, b] of next) expect(hex((await read(store, meta.id, file)).bytes)).toBe(hex(b));
        await store.verify(meta.id);
        await store.verify(held.id);
      }));

    it("answers a receive of a snapshot it holds with every file done", () =>
      withStore(async ({ store }) => {
        const held = await take(store, draft(5), files);
        const { writer, progress } = await store.receive({ ...held, createdAt: 1 });
        expect(Object.fromEntries(progress)).toEqual(Object.fromEntries(files.map(([f, b]) => [f, b.length])));
        await rejection(writer.write("state.bin", A.subarray(0, 1)), "Corrupt");
        expect(await writer.commit()).toEqual(held);
        expect(await store.list()).toEqual([held]);
      }));

    retentionCases(withStore, factory);
  });
}
