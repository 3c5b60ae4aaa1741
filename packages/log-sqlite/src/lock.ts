import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { RaftError } from "@raft/core/contracts";
import { errorCode, storageError } from "./storage-errors.js";

/** The lock file next to a log. */
export function lockPath(path: string): string {
  return `${path}-lock`;
}

/**
 * One writer per log file. The log itself cannot be opened in exclusive
 * locking mode any more (its read connection on the main thread and its write
 * connection in the writer thread share it), so the lock lives in a small
 * SQLite database next to it, `<path>-lock` (created when missing; it holds
 * no data). This connection, in exclusive locking mode, takes that file's
 * write lock (RESERVED) with `BEGIN IMMEDIATE; COMMIT` and keeps it until it
 * closes. A second store fails here after `busyTimeoutMs`, whether from
 * another process (a POSIX lock, released by the kernel if this process dies,
 * SIGKILL included) or from this one (SQLite tracks locks per file within a
 * process, across threads and connections). Nothing else in the package
 * opens the lock file, so no stray close() can drop a POSIX lock on it.
 *
 * Throws `StorageFailure` naming the log when it is held elsewhere.
 */
export function lockLog(path: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(lockPath(path), { timeout: busyTimeoutMs });
  } catch (error) {
    throw storageError(path, `opening its lock file ${lockPath(path)}`, error);
  }
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    // The lock file's content is never read: no journal, and no fsync on this thread when the first lock writes its header.
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.exec("BEGIN IMMEDIATE; COMMIT");
    return db;
  } catch (error) {
    db.close();
    if (/^SQLITE_(BUSY|LOCKED)/.test(errorCode(error))) {
      throw new RaftError("StorageFailure", `${path} is locked by another process or connection (still held after ${busyTimeoutMs} ms); one writer per log file`, { cause: error });
    }
    // Not a lock conflict: the lock file is damaged or unusable. It holds no data, so it may be deleted while no store has the log open.
    throw new RaftError(
      "StorageFailure",
      `${path}: cannot take the lock in ${lockPath(path)} (${error instanceof Error ? error.message : String(error)}); if no store has the log open, delete the lock file`,
      { cause: error },
    );
  }
}
