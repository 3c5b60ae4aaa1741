import type BetterSqlite3 from "better-sqlite3";
import { RaftError } from "@raft/core/contracts";

/** `PRAGMA application_id` of every log file: "RFTL". A SQLite file without it belongs to something else. */
export const APPLICATION_ID = 0x5246544c;

/** The layout below. A file with a higher version was written by a newer release and is refused. */
export const SCHEMA_VERSION = 1;

/**
 * - `meta`: the schema version; kept in every future version so any release can read it.
 * - `state`: one row: the compaction point (index and term of the entry before
 *   the first one held) and the hard state, so both change in the same transaction as the entries.
 * - `entries`: one row per entry; `kind` as a small integer (see entry-codec.ts).
 * STRICT tables refuse a value of the wrong type instead of storing it.
 */
const TABLES = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT, WITHOUT ROWID;
  CREATE TABLE state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    base_index INTEGER NOT NULL,
    base_term INTEGER NOT NULL,
    term INTEGER NOT NULL,
    vote INTEGER NOT NULL,
    commit_index INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE entries (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, kind INTEGER NOT NULL, data BLOB NOT NULL) STRICT;
`;

/** Lays out an empty log in a new database, in one transaction. */
export function createSchema(db: BetterSqlite3.Database): void {
  db.transaction(() => {
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec(TABLES);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
    db.exec("INSERT INTO state (id, base_index, base_term, term, vote, commit_index) VALUES (1, 0, 0, 0, 0, 0)");
  })();
}

/**
 * Refuses a file this release must not touch: another application's database
 * (or an empty one), or a schema version it does not know.
 */
export function checkSchema(db: BetterSqlite3.Database, path: string): void {
  const appId = db.pragma("application_id", { simple: true }) as number;
  if (appId !== APPLICATION_ID) {
    const what = appId === 0 ? "a SQLite database without an application id" : `a SQLite database of another application (application_id 0x${(appId >>> 0).toString(16)})`;
    throw new RaftError("Corrupt", `${path} is not a @raft/log-sqlite log: it is ${what}`);
  }
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'").pluck().get() !== undefined;
  const version: unknown = hasMeta ? db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() : undefined;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw new RaftError("Corrupt", `${path} has no valid schema version (found ${JSON.stringify(version ?? null)}); the file is damaged`);
  }
  if (version > SCHEMA_VERSION) {
    throw new RaftError("StorageFailure", `${path} has schema version ${version}, written by a newer @raft/log-sqlite; this release reads version ${SCHEMA_VERSION}`);
  }
  if (version !== SCHEMA_VERSION) {
    throw new RaftError("Corrupt", `${path} has unknown schema version ${version}; this release reads version ${SCHEMA_VERSION}`);
  }
}
