import { statSync } from "node:fs";
import { join } from "node:path";
import { runLogStoreContract } from "@raft/core/conformance";
import { Index, NodeId, Term } from "@raft/core/contracts";
import { beforeAll, describe, expect, it } from "vitest";
import { SqliteLogStore, type SqliteLogStoreOptions } from "../src/index.js";
import { InlineWriter } from "../src/inline-writer.js";
import { checkBuilt } from "./built.js";
import { entries, entry, removeTempDirsAfterEach, tempDir, untext } from "./support.js";

// Small saves a peer waits for (`awaited`) commit on the calling thread while
// the writer thread is idle; everything else goes to the thread. Both paths
// must leave the same file.

removeTempDirsAfterEach();
beforeAll(() => checkBuilt("inline-writes.test.ts"));

// The whole contract again with every write on the writer thread (the main suite runs with inline writes on).
runLogStoreContract("SqliteLogStore, inline writes off", {
  durable: true,
  readsAhead: true,
  async create() {
    const path = join(await tempDir(), "log.db");
    const open = () => SqliteLogStore.open({ path, inlineWriteMaxEntries: 0 });
    const opened: SqliteLogStore[] = [await open()];
    const reopen = async () => {
      const again = await open();
      opened.push(again);
      return again;
    };
    return { store: opened[0] as SqliteLogStore, reopen, dispose: async () => void (await Promise.all(opened.map((s) => s.close()))) };
  },
});

async function withStore(options: Omit<SqliteLogStoreOptions, "path">, fn: (store: SqliteLogStore, path: string) => Promise<void>): Promise<void> {
  const path = join(await tempDir(), "log.db");
  const store = await SqliteLogStore.open({ path, ...options });
  try {
    await fn(store, path);
  } finally {
    await store.close();
  }
}

/** Counts of inline saves must not depend on how fast this machine's disk is at the moment: no pause after slow ones. */
const NEVER_PAUSE = { inlineWriteSlowMs: 60_000 };

const hardState = (term: number, commit: number) => ({ term: Term.of(term), vote: NodeId.of(1), commit: Index.of(commit) });

describe("SqliteLogStore inline writes", () => {
  it("commits a small awaited append or hard state on the calling thread, and the rest on the writer thread", () =>
    withStore(NEVER_PAUSE, async (s) => {
      await s.save({ hardState: hardState(1, 0), entries: [], awaited: true });
      await s.save({ entries: [entry(1, 1), entry(2, 1)], awaited: true });
      expect(s.stats()).toEqual({ savesInline: 2, savesOnThread: 0, checkpoints: 0 });

      await s.save({ entries: [entry(3, 1)] }); // not awaited
      await s.save({ entries: entries(4, 260, 1), awaited: true }); // more than 256 entries
      await s.save({ entries: [entry(261, 1, "x".repeat(64 * 1024 + 1))], awaited: true }); // more than 64 KiB
      await s.save({ entries: [entry(7, 2)], awaited: true }); // rewrites entry 7
      await s.save({ reset: { index: Index.of(9), term: Term.of(2) }, entries: [], awaited: true });
      expect(s.stats()).toEqual({ savesInline: 2, savesOnThread: 5, checkpoints: 0 });

      await s.save({ entries: [entry(10, 2)], awaited: true });
      expect(s.stats().savesInline).toBe(3);
      expect([s.firstIndex(), s.lastIndex(), s.term(Index.of(10))]).toEqual([10, 10, 2]);
    }));

  it("sends every write to the writer thread when inlineWriteMaxEntries is 0, and honours custom limits", async () => {
    await withStore({ inlineWriteMaxEntries: 0 }, async (s) => {
      await s.save({ entries: [entry(1, 1)], awaited: true });
      await s.save({ hardState: hardState(1, 1), entries: [], awaited: true });
      expect(s.stats()).toEqual({ savesInline: 0, savesOnThread: 2, checkpoints: 0 });
    });
    await withStore({ ...NEVER_PAUSE, inlineWriteMaxEntries: 8, inlineWriteMaxBytes: 64 }, async (s) => {
      await s.save({ entries: entries(1, 8, 1, 8), awaited: true });
      await s.save({ entries: entries(9, 10, 1, 40), awaited: true });
      expect(s.stats()).toEqual({ savesInline: 1, savesOnThread: 1, checkpoints: 0 });
    });
  });

  it("interleaves both connections' writes and compactions into one log that reopens whole", async () => {
    const path = join(await tempDir(), "log.db");
    // Appends of three entries go to the writer thread.
    const store = await SqliteLogStore.open({ path, ...NEVER_PAUSE, inlineWriteMaxEntries: 2 });
    let last = 0;
    for (let i = 1; i <= 60; i++) {
      await store.save({ hardState: hardState(1, last), entries: [entry(++last, 1)], awaited: true }); // inline
      await store.save({ entries: entries(last + 1, last + 3, 1), awaited: i % 2 === 0 }); // thread: three entries, or not awaited
      last += 3;
      if (i % 20 === 0) await store.compact(Index.of(last - 10));
    }
    expect(store.stats()).toEqual({ savesInline: 60, savesOnThread: 60, checkpoints: 0 });
    await store.close();
    const again = await SqliteLogStore.open({ path });
    try {
      expect([again.firstIndex(), again.lastIndex(), again.term(Index.of(230))]).toEqual([231, 240, 1]);
      expect(again.entries(Index.of(231), Index.of(241), Infinity).map((e) => untext(e.data))).toEqual(entries(231, 240, 1).map((e) => untext(e.data)));
      expect(await again.loadHardState()).toEqual(hardState(1, 236));
    } finally {
      await again.close();
    }
  });

  it("has the writer thread checkpoint after about 1,000 pages written inline, so the WAL stays bounded", () =>
    // NORMAL: no fsync per commit, so 4,000 commits take little time; checkpoints do not depend on it.
    withStore({ ...NEVER_PAUSE, synchronous: "NORMAL" }, async (s, path) => {
      const pageSize = s.info().pageSize;
      for (let i = 1; i <= 4000; i++) await s.save({ hardState: hardState(1, i - 1), entries: [entry(i, 1)], awaited: true });
      // Each commit writes at least two pages (the entries' last leaf and the state row) to the WAL: 8,000 or more without checkpoints.
      expect(s.stats().savesInline).toBe(4000);
      expect(s.stats().checkpoints).toBeGreaterThanOrEqual(4);
      expect(statSync(`${path}-wal`).size).toBeLessThan(2000 * pageSize);
      expect(s.entries(Index.of(3999), Index.of(4001), Infinity).map((e) => untext(e.data))).toEqual(["e3999", "e4000"]);
    }));

  it("sends writes back to the writer thread for 2 s after an inline commit slower than inlineWriteSlowMs", async () => {
    const path = join(await tempDir(), "log.db");
    await (await SqliteLogStore.open({ path })).close();
    // A clock that moves `step` ms at every reading: a commit then takes `step` ms.
    let time = 0;
    let step = 0;
    const now = () => (time += step);
    const inline = InlineWriter.open(path, { synchronous: "NORMAL", busyTimeoutMs: 1000, pageSize: 8192 }, { maxEntries: 2, maxBytes: 1024, slowCommitMs: 20 }, now);
    try {
      step = 15;
      expect(inline.fits([entry(1, 1)])).toBe(true);
      inline.write([entry(1, 1)], undefined); // 15 ms: quick enough
      expect(inline.fits([entry(2, 1)])).toBe(true);
      step = 25;
      inline.write([entry(2, 1)], undefined); // 25 ms: slow
      expect(inline.fits([entry(3, 1)])).toBe(false);
      step = 0;
      time += 1900;
      expect(inline.fits([entry(3, 1)])).toBe(false);
      time += 200;
      expect(inline.fits([entry(3, 1)])).toBe(true);
    } finally {
      inline.close();
    }
  });
});
