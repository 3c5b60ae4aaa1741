import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { RaftError } from "@raft/core/contracts";
import { createLogFile } from "./create-file.js";
import type { ResolvedOptions } from "./options.js";
import { checkSchema } from "./schema.js";
import { errorCode, storageError } from "./storage-errors.js";

const SQLITE_MAGIC = "SQLite format 3\0";

/**
 * Opens the main thread's read connection to the log at the absolute `path`
 * (creating an empty log if the file is missing) and checks that it is a log
 * this release can use. The caller holds the log's lock (lock.ts). The
 * connection only reads (`query_only`): writes go through the writer
 * thread's connection, beside it in WAL mode. Throws a `RaftError` naming the
 * file.
 */
export function openReader(path: string, options: ResolvedOptions): Database.Database {
  prepareFile(path);
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true, timeout: options.busyTimeoutMs });
  } catch (error) {
    throw storageError(path, "opening the log", error);
  }
  try {
    checkSchema(db, path);
    checkIntegrity(db, path, options);
    db.pragma("query_only = ON");
    // A damaged page is then reported as SQLITE_CORRUPT when read, instead of being misread.
    db.pragma("cell_size_check = ON");
    return db;
  } catch (error) {
    db.close();
    throw storageError(path, "opening the log", error);
  }
}

/** Creates a missing file; refuses files that cannot be a log before SQLite sees them. */
function prepareFile(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) {
      // Without its database, a WAL cannot be replayed: a new empty log would silently replace what it held.
      if (existsSync(`${path}-wal`)) throw new RaftError("Corrupt", `${path} is missing but its write-ahead log ${path}-wal exists; restore the database file or remove both`);
      createLogFile(path);
    }
    checkHeader(path);
  } catch (error) {
    throw storageError(path, "creating the log", error);
  }
}

/** A log file is never shorter than a SQLite header (see create-file.ts): a shorter or foreign one is refused here. */
function checkHeader(path: string): void {
  const size = statSync(path).size;
  if (size === 0) throw new RaftError("Corrupt", `${path} is empty: a log file always holds at least its header (truncated?)`);
  const header = Buffer.alloc(100);
  const fd = openSync(path, "r");
  let read: number;
  try {
    read = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  const compared = Math.min(read, SQLITE_MAGIC.length);
  if (header.toString("latin1", 0, compared) !== SQLITE_MAGIC.slice(0, compared)) throw new RaftError("Corrupt", `${path} is not a SQLite database (no SQLite header)`);
  if (read < header.length) throw new RaftError("Corrupt", `${path} is truncated: ${size} bytes, shorter than a SQLite header`);
}

function checkIntegrity(db: Database.Database, path: string, options: ResolvedOptions): void {
  if (options.integrityCheck === "off") return;
  const pragma = options.integrityCheck === "full" ? "integrity_check(20)" : "quick_check(20)";
  let messages: string[];
  try {
    messages = (db.pragma(pragma, { simple: false }) as Record<string, unknown>[]).map((row) => String(Object.values(row)[0]));
  } catch (error) {
    // Damage bad enough stops the check itself instead of being listed; any other failure is not a verdict on the file.
    if (!/^SQLITE_(CORRUPT|NOTADB)/.test(errorCode(error))) throw error;
    messages = [error instanceof Error ? error.message : String(error)];
  }
  if (messages.length !== 1 || messages[0] !== "ok") {
    throw new RaftError("Corrupt", `${path} failed PRAGMA ${pragma}: ${messages.join("; ")}`);
  }
}
