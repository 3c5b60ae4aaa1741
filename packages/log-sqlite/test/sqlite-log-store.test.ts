import { join } from "node:path";
import Database from "better-sqlite3";
import { runLogStoreContract } from "@raft/core/conformance";
import { beforeAll, describe, expect, it } from "vitest";
import { SqliteLogStore } from "../src/index.js";
import { checkBuilt } from "./built.js";
import { entries, entry, removeTempDirsAfterEach, tempDir, text, untext } from "./support.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

removeTempDirsAfterEach();
beforeAll(() => checkBuilt("sqlite-log-store.test.ts"));

runLogStoreContract("SqliteLogStore", {
  durable: true,
  readsAhead: true,
  async create() {
    const path = join(await tempDir(), "log.db");
    const opened: SqliteLogStore[] = [await SqliteLogStore.open({ path })];
    const reopen = async () => {
      const again = await SqliteLogStore.open({ path });
      opened.push(again);
      return again;
    };
    return { store: opened[0] as SqliteLogStore, reopen, dispose: async () => void (await Promise.all(opened.map((s) => s.close()))) };
  },
});

async function openNew(options: { synchronous?: "FULL" | "NORMAL" } = {}): Promise<SqliteLogStore> {
  return SqliteLogStore.open({ path: join(await tempDir(), "node", "log.db"), ...options });
}

describe("SqliteLogStore", () => {
  it("runs in WAL mode with synchronous=FULL and holds the lock file's write lock, unless NORMAL is asked for", async () => {
    const full = await openNew();
    const normal = await openNew({ synchronous: "NORMAL" });
    try {
      // The log is shared by the read and write connections (normal locking); the lock file keeps other writers out.
      expect(full.info()).toMatchObject({ journalMode: "wal", synchronous: "FULL", lockingMode: "normal", pageSize: 8192, lockPath: `${full.path}-lock` });
      expect(normal.info()).toMatchObject({ journalMode: "wal", synchronous: "NORMAL", lockingMode: "normal", lockPath: `${normal.path}-lock` });
      const probe = new Database(full.info().lockPath, { timeout: 0 });
      try {
        expect(() => probe.exec("BEGIN IMMEDIATE")).toThrowError(expect.objectContaining({ code: "SQLITE_BUSY" }));
      } finally {
        probe.close();
      }
    } finally {
      await full.close();
      await normal.close();
    }
  });

  it("creates the file and its directory, and reopens it with the same content", async () => {
    const dir = await tempDir();
    const path = join(dir, "a", "b", "node-1.db");
    const store = await SqliteLogStore.open({ path });
    expect(store.path).toBe(path);
    await store.save({
      hardState: { term: Term.of(7), vote: NodeId.of(2), commit: Index.of(3) },
      entries: [entry(1, 7, "x"), { index: Index.of(2), term: Term.of(7), kind: "config", data: new Uint8Array([9]) }],
    });
    await store.close();
    const again = await SqliteLogStore.open({ path, integrityCheck: "full" });
    try {
      expect(await again.loadHardState()).toEqual({ term: 7, vote: 2, commit: 3 });
      expect(again.entries(Index.of(1), Index.of(3), Infinity)).toEqual([
        { index: 1, term: 7, kind: "normal", data: text("x") },
        { index: 2, term: 7, kind: "config", data: new Uint8Array([9]) },
      ]);
    } finally {
      await again.close();
    }
  });

  it("stores a copy of each payload and hands out payloads that belong to the caller", async () => {
    const store = await openNew();
    try {
      const data = text("abc");
      await store.save({ entries: [{ index: Index.of(1), term: Term.of(1), kind: "normal", data }] });
      data[0] = 0x7a;
      const [read] = store.entries(Index.of(1), Index.of(2), Infinity);
      expect(untext(read?.data)).toBe("abc");
      expect(read?.data).toBeInstanceOf(Uint8Array);
      read?.data.fill(0);
      expect(untext(store.entries(Index.of(1), Index.of(2), Infinity)[0]?.data)).toBe("abc");
    } finally {
      await store.close();
    }
  });

  it("stops a range read at maxBytes like MemoryLog: whole entries, at least one", async () => {
    const store = await openNew();
    try {
      await store.save({ entries: entries(1, 2000, 1, 100) });
      expect(store.entries(Index.of(1), Index.of(2001), 0).map((e) => e.index)).toEqual([1]);
      expect(store.entries(Index.of(10), Index.of(2001), 250).map((e) => e.index)).toEqual([10, 11]);
      expect(store.entries(Index.of(10), Index.of(2001), 300).map((e) => e.index)).toEqual([10, 11, 12]);
      const all = store.entries(Index.of(1), Index.of(2001), Infinity);
      expect([all.length, all[1999]?.index, all[1999]?.data[0]]).toEqual([2000, 2000, 2000 % 251]);
    } finally {
      await store.close();
    }
  });

  it("keeps term lookups at both ends of the log in step with truncation, compaction and reset", async () => {
    const store = await openNew();
    try {
      await store.save({ entries: [...entries(1, 5, 1), ...entries(6, 8, 2)] });
      expect([store.term(Index.of(8)), store.term(Index.of(5)), store.term(Index.of(6))]).toEqual([2, 1, 2]);
      await store.save({ entries: entries(7, 7, 3) });
      expect([store.lastIndex(), store.term(Index.of(7)), store.term(Index.of(6))]).toEqual([7, 3, 2]);
      await store.compact(Index.of(7));
      expect([store.firstIndex(), store.lastIndex(), store.term(Index.of(7))]).toEqual([8, 7, 3]);
      await store.save({ reset: { index: Index.of(30), term: Term.of(4) }, entries: [] });
      expect([store.firstIndex(), store.lastIndex(), store.term(Index.of(30))]).toEqual([31, 30, 4]);
    } finally {
      await store.close();
    }
  });

  it("refuses a malformed batch with StorageFailure and writes none of it", async () => {
    const store = await openNew();
    try {
      await store.save({ entries: entries(1, 2, 1) });
      const bad = [
        [entry(3, 1), entry(5, 1)],
        [entry(3, 2), entry(4, 1)],
        [{ index: 3, term: 1, kind: "bogus", data: new Uint8Array(0) }],
        [{ index: 3, term: 1.5, kind: "normal", data: new Uint8Array(0) }],
        [{ index: 3, term: 1, kind: "normal", data: "text" }],
      ];
      for (const batch of bad) await expect(store.save({ entries: batch as never })).rejects.toMatchObject({ code: "StorageFailure" });
      await expect(store.save({ reset: { index: Index.of(5), term: Term.of(1) }, entries: [entry(7, 1)] })).rejects.toMatchObject({ code: "StorageFailure" });
      await expect(store.save({ hardState: { term: -1 as Term, vote: 0, commit: Index.zero } /* deliberately invalid */, entries: [] })).rejects.toMatchObject({ code: "StorageFailure" });
      expect([store.firstIndex(), store.lastIndex()]).toEqual([1, 2]);
      expect(await store.loadHardState()).toEqual({ term: 0, vote: 0, commit: 0 });
      // Refusals are the caller's mistakes, not storage failures: the store keeps writing.
      await store.save({ entries: [entry(3, 1)] });
      expect(store.lastIndex()).toBe(3);
    } finally {
      await store.close();
    }
  });

  it("refuses every call after close() with StorageFailure", async () => {
    const store = await openNew();
    await store.close();
    await store.close();
    await expect(store.save({ entries: [entry(1, 1)] })).rejects.toMatchObject({ code: "StorageFailure" });
    await expect(store.compact(Index.zero)).rejects.toMatchObject({ code: "StorageFailure" });
    await expect(store.loadHardState()).rejects.toMatchObject({ code: "StorageFailure" });
    expect(() => store.lastIndex()).toThrowError(expect.objectContaining({ code: "StorageFailure" }));
    expect(() => store.entries(Index.of(1), Index.of(1), 0)).toThrowError(expect.objectContaining({ code: "StorageFailure" }));
  });

  it("lets one connection at a time hold a file: a second instance in this process is refused, then admitted after close", async () => {
    const path = join(await tempDir(), "log.db");
    const first = await SqliteLogStore.open({ path });
    await first.save({ entries: [entry(1, 1)] });
    const second = await SqliteLogStore.open({ path, busyTimeoutMs: 0 }).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: "StorageFailure", message: expect.stringContaining(path) });
    expect((second as Error).message).toMatch(/locked by another process or connection/);
    await first.close();
    const third = await SqliteLogStore.open({ path, busyTimeoutMs: 0 });
    expect(third.lastIndex()).toBe(1);
    await third.close();
  });

  it("refuses bad options with InvalidConfig naming the field", async () => {
    const path = join(await tempDir(), "log.db");
    const cases: [object, string][] = [
      [{ path: "" }, "path"],
      [{ path: ":memory:" }, "path"],
      [{ path, synchronous: "OFF" }, "synchronous"],
      [{ path, busyTimeoutMs: -1 }, "busyTimeoutMs"],
      [{ path, busyTimeoutMs: 1.5 }, "busyTimeoutMs"],
      [{ path, integrityCheck: "maybe" }, "integrityCheck"],
      [{ path, logger: { info() {} } }, "logger"],
      [{ path, synchronus: "NORMAL" }, "synchronus"],
    ];
    for (const [options, field] of cases) {
      await expect(SqliteLogStore.open(options as never), field).rejects.toMatchObject({ code: "InvalidConfig", message: expect.stringContaining(`options: ${field}:`) });
    }
  });

  it("logs where it opened and what it found", async () => {
    const lines: [string, Record<string, unknown> | undefined][] = [];
    const record = (message: string, fields?: Record<string, unknown>) => void lines.push([message, fields]);
    const path = join(await tempDir(), "log.db");
    const store = await SqliteLogStore.open({ path, logger: { debug: record, info: record, warn: record, error: record } });
    await store.close();
    expect(lines).toEqual([["sqlite log opened", expect.objectContaining({ path, firstIndex: 1, lastIndex: 0, synchronous: "FULL", integrityCheck: "quick" })]]);
  });
});
