import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import type { Logger } from "@raft/core/contracts";
import { beforeAll, describe, expect, it } from "vitest";
import { SqliteLogStore } from "../src/index.js";
import { WriterThread } from "../src/writer-thread.js";
import { checkBuilt } from "./built.js";
import { entries, entry, removeTempDirsAfterEach, tempDir, untext } from "./support.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

// The writer thread: saves and compactions commit there while the main
// thread goes on. These tests hold the main thread in a busy loop while the
// thread commits (a second connection sees the commit in the file), and check
// that the store's reads show nothing of the write until its promise resolves.

removeTempDirsAfterEach();
beforeAll(() => checkBuilt("writer-thread.test.ts"));

async function openNew(options: { logger?: Logger } = {}): Promise<SqliteLogStore> {
  return SqliteLogStore.open({ path: join(await tempDir(), "log.db"), synchronous: "NORMAL", ...options });
}

/**
 * Runs `check` over and over on the main thread, without yielding to the
 * event loop (so no reply of the writer thread is processed), until `seen`
 * holds on another connection to the file: the write is committed there.
 */
function spinUntilCommitted(path: string, seen: (db: Database.Database) => boolean, check: () => void): void {
  const db = new Database(path, { readonly: true });
  try {
    const end = performance.now() + 10_000;
    let checks = 0;
    for (;;) {
      check();
      checks++;
      if (seen(db)) break;
      if (performance.now() > end) throw new Error("the writer thread did not commit within 10 s");
    }
    check();
    expect(checks).toBeGreaterThan(0);
  } finally {
    db.close();
  }
}

const lastRow = (db: Database.Database) => db.prepare("SELECT max(idx) FROM entries").pluck().get() as number | null;
const firstRow = (db: Database.Database) => db.prepare("SELECT min(idx) FROM entries").pluck().get() as number | null;
const terms = (store: SqliteLogStore, lo: number, hi: number) => store.entries(Index.of(lo), Index.of(hi + 1), Infinity).map((e) => e.term);

describe("SqliteLogStore's writer thread", () => {
  it("shows nothing of a committed write until it resolves: truncation, compaction, reset, append", async () => {
    const store = await openNew();
    try {
      await store.save({ hardState: { term: Term.of(1), vote: NodeId.of(1), commit: Index.of(2) }, entries: entries(1, 10, 1) });
      const before = () => {
        expect([store.firstIndex(), store.lastIndex(), store.term(Index.zero), store.term(Index.of(8)), store.term(Index.of(10))]).toEqual([1, 10, 0, 1, 1]);
        expect(terms(store, 1, 10)).toEqual(Array(10).fill(1));
      };

      const truncating = store.save({ hardState: { term: Term.of(2), vote: NodeId.of(1), commit: Index.of(7) }, entries: entries(8, 15, 2) });
      spinUntilCommitted(store.path, (db) => lastRow(db) === 15, before);
      expect(await store.loadHardState()).toEqual({ term: 1, vote: 1, commit: 2 });
      await truncating;
      expect([store.lastIndex(), ...terms(store, 6, 15)]).toEqual([15, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
      expect(await store.loadHardState()).toEqual({ term: 2, vote: 1, commit: 7 });

      const compacting = store.compact(Index.of(6));
      spinUntilCommitted(
        store.path,
        (db) => firstRow(db) === 7,
        () => expect([store.firstIndex(), ...terms(store, 1, 8)]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 2]),
      );
      await compacting;
      expect([store.firstIndex(), store.term(Index.of(6))]).toEqual([7, 1]);

      const resetting = store.save({ reset: { index: Index.of(30), term: Term.of(3) }, entries: entries(31, 32, 3) });
      spinUntilCommitted(
        store.path,
        (db) => firstRow(db) === 31,
        () => expect([store.firstIndex(), store.lastIndex(), ...terms(store, 7, 15)]).toEqual([7, 15, 1, 2, 2, 2, 2, 2, 2, 2, 2]),
      );
      await resetting;
      expect([store.firstIndex(), store.lastIndex(), store.term(Index.of(30)), store.term(Index.of(32))]).toEqual([31, 32, 3, 3]);

      // An append rewrites nothing reads can reach: they run on the live file, bounded by the last index in memory.
      const appending = store.save({ entries: entries(33, 40, 3) });
      spinUntilCommitted(
        store.path,
        (db) => lastRow(db) === 40,
        () => expect([store.lastIndex(), ...terms(store, 31, 32)]).toEqual([32, 3, 3]),
      );
      expect(() => store.term(Index.of(33))).toThrowError(expect.objectContaining({ code: "Unavailable" }));
      await appending;
      expect([store.lastIndex(), store.term(Index.of(33))]).toEqual([40, 3]);
    } finally {
      await store.close();
    }
  });

  it("queues writes issued while one is in flight and runs them in call order", async () => {
    const store = await openNew();
    try {
      const order: string[] = [];
      const track = (name: string, p: Promise<void>) =>
        p.then(
          () => void order.push(name),
          (e: { code?: string }) => void order.push(`${name}:${e.code}`),
        );
      await Promise.all([
        track("a", store.save({ entries: entries(1, 5, 1) })),
        track("b", store.save({ entries: entries(6, 8, 1) })),
        track("c", store.compact(Index.of(3))),
        // Checked when its turn comes, against the log the writes before it left: a hole after 8.
        track("d", store.save({ entries: [entry(10, 1)] })),
        track("e", store.save({ hardState: { term: Term.of(2), vote: NodeId.of(1), commit: Index.of(9) }, entries: [entry(9, 2)] })),
      ]);
      expect(order).toEqual(["a", "b", "c", "d:Unavailable", "e"]);
      expect([store.firstIndex(), store.lastIndex(), store.term(Index.of(3)), ...terms(store, 4, 9)]).toEqual([4, 9, 1, 1, 1, 1, 1, 1, 2]);
      expect(await store.loadHardState()).toEqual({ term: 2, vote: 1, commit: 9 });
    } finally {
      await store.close();
    }
  });

  it("copies payloads into its own batch: views into a shared buffer stay whole and usable", async () => {
    const store = await openNew();
    try {
      const pool = new Uint8Array(64).map((_, i) => i);
      const pooled = Buffer.from("from node's buffer pool");
      await store.save({
        entries: [
          { index: Index.of(1), term: Term.of(1), kind: "normal", data: pool.subarray(0, 16) },
          { index: Index.of(2), term: Term.of(1), kind: "config", data: pool.subarray(16, 48) },
          { index: Index.of(3), term: Term.of(1), kind: "normal", data: pooled },
        ],
      });
      expect([pool.byteLength, pool.buffer.byteLength, pooled.byteLength]).toEqual([64, 64, 23]);
      expect(pool[63]).toBe(63);
      const read = store.entries(Index.of(1), Index.of(4), Infinity);
      expect(read.map((e) => [e.kind, Array.from(e.data)])).toEqual([
        ["normal", Array.from(pool.subarray(0, 16))],
        ["config", Array.from(pool.subarray(16, 48))],
        ["normal", Array.from(pooled)],
      ]);
    } finally {
      await store.close();
    }
  });

  it("leaves the event loop running while a save commits", async () => {
    const store = await openNew();
    try {
      let turns = 0;
      let spinning = true;
      const turn = () => {
        turns++;
        if (spinning) setImmediate(turn);
      };
      setImmediate(turn);
      await store.save({ entries: entries(1, 20_000, 1, 100) });
      spinning = false;
      // A save on the main thread would hold the loop for its whole length: no turn could run before it resolved.
      expect(turns).toBeGreaterThan(1);
      expect(store.lastIndex()).toBe(20_000);
    } finally {
      await store.close();
    }
  });

  it("close() waits for the write in flight", async () => {
    const path = join(await tempDir(), "log.db");
    const store = await SqliteLogStore.open({ path });
    const saving = store.save({ hardState: { term: Term.of(1), vote: NodeId.of(1), commit: Index.zero }, entries: entries(1, 5000, 1, 64) });
    await store.close();
    await saving;
    const again = await SqliteLogStore.open({ path });
    try {
      expect([again.lastIndex(), (await again.loadHardState()).term]).toEqual([5000, 1]);
    } finally {
      await again.close();
    }
  });

  it("when the thread dies, the write in flight and every later one fail with StorageFailure; reads go on and close() releases the file", async () => {
    const errors: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message) => void errors.push(message) };
    const store = await openNew({ logger });
    await store.save({ entries: entries(1, 3, 1) });
    // Large enough (20 MB) that the thread is still committing it when it is terminated, however busy the machine.
    const inFlight = store.save({ entries: entries(4, 20_000, 1, 1000) });
    await (store as unknown as { writer: { worker: Worker } }).writer.worker.terminate();
    const failed = await inFlight.catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: "StorageFailure", message: expect.stringMatching(/writer thread exited/) });
    expect((failed as Error).message).toContain(store.path);
    await expect(store.save({ entries: [entry(4, 1)] })).rejects.toMatchObject({ code: "StorageFailure", message: expect.stringMatching(/an earlier write .* failed/) });
    await expect(store.compact(Index.of(2))).rejects.toMatchObject({ code: "StorageFailure" });
    expect(errors).toEqual(["sqlite log write failed; the store refuses further writes"]);
    expect([store.lastIndex(), untext(store.entries(Index.of(3), Index.of(4), Infinity)[0]?.data)]).toEqual([3, "e3"]);
    await store.close();
    const again = await SqliteLogStore.open({ path: store.path, busyTimeoutMs: 0 });
    try {
      // The write the thread died in is all there or not at all, and the dead thread's connection holds nothing back.
      expect([3, 20_000]).toContain(again.lastIndex());
      expect(untext(again.entries(Index.of(2), Index.of(3), Infinity)[0]?.data)).toBe("e2");
      await again.save({ entries: [entry(again.lastIndex() + 1, 2)] });
      expect(again.term(again.lastIndex())).toBe(2);
    } finally {
      await again.close();
    }
  });

  it("refuses malformed requests in the thread and malformed replies in the store", async () => {
    const path = join(await tempDir(), "log.db");
    await (await SqliteLogStore.open({ path })).close();
    const thread = WriterThread.start(path);
    const deaths: string[] = [];
    thread.onDeath = (e) => void deaths.push(e.message);
    try {
      await thread.open({ synchronous: "NORMAL", busyTimeoutMs: 0 });
      const save = { type: "save", reset: null, truncateFrom: null, hardState: null } as const;
      await expect(thread.write({ ...save, entries: new ArrayBuffer(30), bytes: 30, count: 2 }, [])).rejects.toThrow(/entry batch: 30 bytes cannot hold 2 entries/);
      await expect(thread.write({ ...save, entries: new ArrayBuffer(30), bytes: 31, count: 1 }, [])).rejects.toThrow(/entry batch: 31 bytes used of a buffer of 30/);
      const badKind = new ArrayBuffer(24);
      new Float64Array(badKind, 0, 2).set([1, 1]);
      new Uint32Array(badKind, 16, 2).set([0, 7]);
      await expect(thread.write({ ...save, entries: badKind, bytes: 24, count: 1 }, [badKind])).rejects.toThrow(/kind code 7/);
      await expect(thread.write({ type: "compact", index: -1, term: 1 }, [])).rejects.toThrow(/malformed writer request/);
      await expect(thread.write({ ...save, entries: null, bytes: 0, count: 0, hardState: [1, 2, 3] }, [])).resolves.toBeNull();
      expect(deaths).toEqual([]);

      (thread as unknown as { receive(value: unknown): void }).receive({ type: "done", id: "7" });
      expect(deaths).toEqual([expect.stringMatching(/^.*log\.db: the writer thread sent a malformed reply/)]);
      await expect(thread.write({ ...save, entries: null, bytes: 0, count: 0, hardState: [1, 2, 3] }, [])).rejects.toMatchObject({ code: "StorageFailure" });
    } finally {
      await thread.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare("SELECT term, vote, commit_index FROM state").raw().get()).toEqual([1, 2, 3]);
      expect(db.prepare("SELECT count(*) FROM entries").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it("refuses a reply nobody waits for", async () => {
    const path = join(await tempDir(), "log.db");
    await (await SqliteLogStore.open({ path })).close();
    const thread = WriterThread.start(path);
    const deaths: string[] = [];
    thread.onDeath = (e) => void deaths.push(e.message);
    try {
      await thread.open({ synchronous: "NORMAL", busyTimeoutMs: 0 });
      (thread as unknown as { receive(value: unknown): void }).receive({ type: "done", id: 99, batch: null });
      expect(deaths).toEqual([expect.stringContaining("the writer thread sent a reply nobody waits for (done 99)")]);
    } finally {
      await thread.close();
    }
  });
});
