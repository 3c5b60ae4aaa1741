import { expect, it } from "vitest";
import type { SnapshotStoreFactory } from "./snapshot-store-contract.js";
import { A, B, draft, files, hex, manifest, read, rejection, take, writeNew, type WithStore } from "./snapshot-fixtures.js";

/** The SnapshotStore contract's cases on what is kept: prune and pins, a reader that outlives a prune, locations, and what survives a reopen. */
export function retentionCases(withStore: WithStore, factory: SnapshotStoreFactory): void {
  it("prunes beyond `keep`, never the newest, and receptions no newer than the newest snapshot", () =>
    withStore(async ({ store }) => {
      const s1 = await take(store, draft(1), files);
      const s2 = await take(store, draft(2), files);
      const s3 = await take(store, draft(3), files);
      const s4 = await take(store, draft(4), files);
      const stale = manifest(4, 1, [["x", A]]);
      const ahead = manifest(9, 1, [["x", A]]);
      for (const m of [stale, ahead]) {
        const r = await store.receive(m);
        await r.writer.write("x", A.subarray(0, 100));
        await r.writer.flush();
      }
      expect((await store.prune(2)).sort()).toEqual([s1.id, s2.id, stale.id].sort());
      expect((await store.list()).map((m) => m.id)).toEqual([s4.id, s3.id]);
      expect((await store.receive(stale)).progress.get("x") ?? 0).toBe(0);
      expect((await store.receive(ahead)).progress.get("x")).toBe(100);
      await rejection(store.prune(-1), "InvalidConfig");
      expect((await store.prune(0)).sort()).toEqual([s3.id, stale.id].sort());
      expect((await store.list()).map((m) => m.id)).toEqual([s4.id]);
      expect((await store.receive(ahead)).progress.get("x")).toBe(100);
    }));

  it("never prunes a pinned snapshot, counting pins", () =>
    withStore(async ({ store }) => {
      const old = await take(store, draft(1), files);
      await take(store, draft(2), files);
      const unpinA = store.pin(old.id);
      const unpinB = store.pin(old.id);
      expect(await store.prune(1)).toEqual([]);
      unpinA();
      unpinA();
      expect(await store.prune(1)).toEqual([]);
      await store.verify(old.id);
      unpinB();
      expect(await store.prune(1)).toEqual([old.id]);
      await rejection(store.get(old.id), "NotFound");
    }));

  it("keeps a snapshot while a reader iterates over it", () =>
    withStore(async ({ store }) => {
      const old = await take(store, draft(1), files);
      await take(store, draft(2), files);
      const it = store.open(old.id, "state.bin", { chunkSize: 1000 })[Symbol.asyncIterator]();
      const first = await it.next();
      expect(first.value?.length).toBe(1000);
      expect(await store.prune(1)).toEqual([]);
      const rest: number[] = [];
      for (let r = await it.next(); r.done !== true; r = await it.next()) rest.push(r.value.length);
      expect(rest).toEqual([1000, 500]);
      const early = store.open(old.id, "index.json", { chunkSize: 100 })[Symbol.asyncIterator]();
      await early.next();
      await early.return?.();
      // A reader reusing its buffers, left early with its next chunk being read ahead, lets go too.
      const reusing = store.open(old.id, "state.bin", { chunkSize: 1000, reuseBuffers: true })[Symbol.asyncIterator]();
      await reusing.next();
      expect(await store.prune(1)).toEqual([]);
      await reusing.return?.();
      expect(await store.prune(1)).toEqual([old.id]);
    }));

  if (factory.corrupt !== undefined) {
    const corrupt = factory.corrupt;
    it("verify() finds damaged bytes and names the file", () =>
      withStore(async ({ store }) => {
        const meta = await take(store, draft(1), files);
        const other = await take(store, draft(2), [["state.bin", B]]);
        await store.verify(meta.id);
        await corrupt(store, meta.id, "index.json");
        expect((await rejection(store.verify(meta.id), "Corrupt")).message).toContain("index.json");
        await store.verify(other.id);
      }));
  }

  it("locates committed snapshots, if it can, and reads them back through the location", () =>
    withStore(async ({ store }) => {
      const meta = await take(store, draft(4), files);
      const url = store.locate === undefined ? undefined : await store.locate(meta.id);
      if (url === undefined) return; // not a locatable store (or not configured as one)
      expect(url.length).toBeLessThanOrEqual(4096);
      expect(() => new URL(url)).not.toThrow();
      expect(await store.locate?.(manifest(99, 9, files).id)).toBeUndefined();
      expect(await store.locate?.("../etc")).toBeUndefined();
      if (store.canRead === undefined || store.openLocated === undefined) return;
      expect(store.canRead(url)).toBe(true);
      expect(store.canRead("not a location")).toBe(false);
      const located = await store.openLocated(url);
      expect(located.meta).toEqual(meta);
      const parts: Uint8Array[] = [];
      for await (const c of located.open("state.bin", { offset: 1234, chunkSize: 500 })) parts.push(new Uint8Array(c));
      expect(parts.map((c) => c.length)).toEqual([500, 500, 266]);
      expect(hex(Buffer.concat(parts))).toBe(hex(A.subarray(1234)));
      for (const [name, b] of files) {
        const all: Uint8Array[] = [];
        for await (const c of located.open(name)) all.push(new Uint8Array(c));
        expect(hex(Buffer.concat(all))).toBe(hex(b));
      }
    }));

  if (!factory.durable) return;

  it("keeps committed snapshots, byte for byte, across a reopen, and nothing uncommitted", () =>
    withStore(async (session) => {
      const a = await take(session.store, draft(1), files);
      const b = await take(session.store, draft(2, 2), [["state.bin", B]]);
      const pending = await session.store.create(draft(3));
      await writeNew(pending, files, 700);
      await pending.flush();
      const store = await session.reopen();
      expect(await store.list()).toEqual([b, a]);
      expect(await store.get(a.id)).toEqual(a);
      for (const [file, bytes] of files) expect(hex((await read(store, a.id, file)).bytes)).toBe(hex(bytes));
      await store.verify(a.id);
      await store.verify(b.id);
      expect((await store.prune(1)).sort()).toEqual([a.id]);
    }));

  if (factory.corruptManifest !== undefined) {
    const corruptManifest = factory.corruptManifest;
    it("validates manifests read back: a damaged one is left out, the rest are served", () =>
      withStore(async (session) => {
        const good = await take(session.store, draft(1), files);
        const bad = await take(session.store, draft(2), files);
        await corruptManifest(session.store, bad.id);
        const store = await session.reopen();
        expect(await store.list()).toEqual([good]);
        await rejection(store.get(bad.id), "NotFound");
        await store.verify(good.id);
        const next = await take(store, draft(3), files);
        expect(await store.latest()).toEqual(next);
      }));
  }
}
