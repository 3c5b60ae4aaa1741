import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { createSchema } from "./schema.js";
import { errorCode } from "./storage-errors.js";

/**
 * Page size of new files (fixed for the life of a file in WAL mode). Against
 * SQLite's default of 4 KiB, 8 KiB halves the WAL frames, and so the write
 * calls, of a large batch, and costs a one-entry commit next to nothing
 * (apps/bench log-append).
 */
const PAGE_SIZE = 8192;

/**
 * Creates an empty log at `path` unless a file is already there, atomically:
 * the database is built and fsynced under a temporary name, then hard-linked
 * to `path` (which fails if `path` exists, so a concurrent creator's file is
 * never replaced). A crash leaves either no file or a complete empty log,
 * never a half-written one; so a short or empty file at `path` is always
 * damage, and `open` refuses it.
 */
export function createLogFile(path: string): void {
  const temp = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.new`;
  try {
    const db = new Database(temp);
    try {
      db.pragma(`page_size = ${PAGE_SIZE}`);
      createSchema(db);
      // Switching to WAL only rewrites the header: every byte is in the main file, so linking it alone is enough.
      const mode = db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new Error(`SQLite refused WAL mode (journal_mode is ${String(mode)})`);
    } finally {
      db.close();
    }
    fsyncPath(temp);
    publish(temp, path);
    fsyncDirectory(dirname(path));
  } finally {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(temp + suffix, { force: true });
  }
}

/** Links `temp` to `path`; if links are unsupported here, renames it, checking first that `path` is free. */
function publish(temp: string, path: string): void {
  try {
    linkSync(temp, path);
  } catch (error) {
    const code = errorCode(error);
    // Lost a race with another creator: its file is as good as ours, and `open` takes it from here.
    if (code === "EEXIST") return;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
    try {
      closeSync(openSync(path, "r"));
      return;
    } catch (probe) {
      if (errorCode(probe) !== "ENOENT") throw probe;
    }
    renameSync(temp, path);
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the new name durable. Some platforms cannot fsync a directory; there the rename/link is as durable as they allow. */
function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (error) {
    if (!["EINVAL", "EISDIR", "EPERM", "EBADF"].includes(errorCode(error))) throw error;
  } finally {
    closeSync(fd);
  }
}
