import { randomBytes } from "node:crypto";
import { readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { SqliteLogStore } from "../src/index.js";
import { checkBuilt } from "./built.js";
import { entries, removeTempDirsAfterEach, tempDir } from "./support.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

removeTempDirsAfterEach();
beforeAll(() => checkBuilt("corruption.test.ts"));

/** A closed log file holding `count` entries of 200 bytes (checkpointed into the main file by the close), and its page size. */
async function logFile(count = 3000): Promise<{ path: string; pageSize: number }> {
  const path = join(await tempDir(), "log.db");
  const store = await SqliteLogStore.open({ path });
  for (let lo = 1; lo <= count; lo += 500) await store.save({ hardState: { term: Term.of(1), vote: NodeId.of(1), commit: Index.of(lo) }, entries: entries(lo, Math.min(count, lo + 499), 1, 200) });
  const { pageSize } = store.info();
  await store.close();
  return { path, pageSize };
}

async function openError(path: string, options: object = {}): Promise<{ code: unknown; message: string }> {
  const e = await SqliteLogStore.open({ path, ...options }).then(
    async (store) => {
      await store.close();
      return undefined;
    },
    (error: unknown) => error as { code: unknown; message: string },
  );
  if (e === undefined) throw new Error(`${path} opened, but it should have been refused`);
  return e;
}

describe("opening a damaged or foreign file", () => {
  it("refuses garbage with Corrupt, naming the file", async () => {
    const path = join(await tempDir(), "log.db");
    await writeFile(path, randomBytes(16 * 1024));
    expect(await openError(path)).toMatchObject({ code: "Corrupt", message: expect.stringContaining(path) });
  });

  it("refuses a file truncated anywhere, naming it, and leaves it untouched", async () => {
    const { path, pageSize } = await logFile();
    const whole = await readFile(path);
    for (const size of [0, 50, 100, pageSize, Math.floor(whole.length / 2), whole.length - pageSize]) {
      await writeFile(path, whole);
      await truncate(path, size);
      const e = await openError(path, { integrityCheck: "off" });
      expect(e, `truncated to ${size}`).toMatchObject({ code: "Corrupt", message: expect.stringContaining(path) });
      expect((await stat(path)).size, "the refused file is not modified").toBe(size);
    }
  });

  it("refuses a file with a damaged page: the integrity check names the file; unchecked, reading the page fails with Corrupt", async () => {
    const { path, pageSize } = await logFile();
    const bytes = await readFile(path);
    // One leaf page of entries in the middle of the file, past its page header; the file header and the b-tree's edges stay whole.
    const page = Math.floor(bytes.length / pageSize / 2);
    bytes.fill(0xa5, page * pageSize + 16, (page + 1) * pageSize);
    await writeFile(path, bytes);
    for (const integrityCheck of ["quick", "full"]) {
      const e = await openError(path, { integrityCheck });
      expect(e, integrityCheck).toMatchObject({ code: "Corrupt", message: expect.stringContaining(path) });
      expect(e.message, integrityCheck).toMatch(integrityCheck === "full" ? /integrity_check/ : /quick_check/);
    }
    const unchecked = await SqliteLogStore.open({ path, integrityCheck: "off" });
    try {
      expect([unchecked.firstIndex(), unchecked.lastIndex()]).toEqual([1, 3000]);
      expect(unchecked.entries(Index.of(1), Index.of(3), Infinity).map((e) => e.index)).toEqual([1, 2]);
      expect(() => unchecked.entries(Index.of(1), Index.of(3001), Infinity)).toThrowError(expect.objectContaining({ code: "Corrupt", message: expect.stringContaining(path) }));
    } finally {
      await unchecked.close();
    }
  });

  it("refuses another application's SQLite database, and an empty one", async () => {
    const dir = await tempDir();
    const foreign = join(dir, "foreign.db");
    const db = new Database(foreign);
    db.pragma("application_id = 42");
    db.exec("CREATE TABLE entries (idx INTEGER PRIMARY KEY, term INTEGER, kind INTEGER, data BLOB)");
    db.close();
    expect(await openError(foreign)).toMatchObject({ code: "Corrupt", message: expect.stringMatching(/foreign\.db is not a @raft\/log-sqlite log: .*application_id 0x2a/) });
    const empty = join(dir, "empty.db");
    new Database(empty).exec("VACUUM").close();
    expect(await openError(empty)).toMatchObject({ code: "Corrupt", message: expect.stringContaining(`${empty} is not a @raft/log-sqlite log`) });
  });

  it("refuses a schema version it does not know: newer is StorageFailure, missing or invalid is Corrupt", async () => {
    const { path } = await logFile(10);
    const setVersion = (sql: string) => {
      const db = new Database(path);
      db.exec(sql);
      db.close();
    };
    setVersion("UPDATE meta SET value = 2 WHERE key = 'schema_version'");
    expect(await openError(path)).toMatchObject({ code: "StorageFailure", message: expect.stringContaining(`${path} has schema version 2, written by a newer`) });
    setVersion("UPDATE meta SET value = 'one' WHERE key = 'schema_version'");
    expect(await openError(path)).toMatchObject({ code: "Corrupt", message: expect.stringContaining(path) });
    setVersion("DELETE FROM meta");
    expect(await openError(path)).toMatchObject({ code: "Corrupt", message: expect.stringContaining(path) });
    setVersion("INSERT INTO meta (key, value) VALUES ('schema_version', 1)");
    const store = await SqliteLogStore.open({ path });
    expect(store.lastIndex()).toBe(10);
    await store.close();
  });

  it("refuses a log whose stored state disagrees with its entries", async () => {
    const { path } = await logFile(10);
    const edit = (sql: string) => {
      const db = new Database(path);
      db.exec(sql);
      db.close();
    };
    edit("UPDATE state SET base_index = 3");
    expect(await openError(path)).toMatchObject({ code: "Corrupt", message: expect.stringContaining(`${path}: the first entry is 1 but the log was compacted up to 3`) });
    edit("UPDATE state SET base_index = 0; DELETE FROM state");
    expect(await openError(path)).toMatchObject({ code: "Corrupt", message: expect.stringContaining(path) });
  });

  it("refuses a write-ahead log whose database file is gone instead of starting an empty log", async () => {
    const path = join(await tempDir(), "log.db");
    await writeFile(`${path}-wal`, randomBytes(4096));
    expect(await openError(path)).toMatchObject({ code: "Corrupt", message: expect.stringContaining(`${path} is missing but its write-ahead log`) });
  });
});
