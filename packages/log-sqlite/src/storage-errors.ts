import { isRaftError, RaftError } from "@raft/core/contracts";

/**
 * Maps a failure from SQLite (better-sqlite3's `SqliteError`) or from Node's
 * file system to a `RaftError` whose message names the file and the action.
 * `RaftError`s pass through unchanged.
 */
export function storageError(path: string, action: string, error: unknown): RaftError {
  if (isRaftError(error)) return error;
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  const where = `${path}: ${action} failed`;
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    return new RaftError("Corrupt", `${where}: the file is damaged or not a SQLite database (${detail})`, { cause: error });
  }
  if (code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT") {
    return new RaftError("DiskFull", `${where}: the disk is full (${detail})`, { cause: error });
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new RaftError("StorageFailure", `${where}: the file is in use by another process or connection; one writer per log file (${detail})`, { cause: error });
  }
  return new RaftError("StorageFailure", `${where}: ${detail}`, { cause: error });
}

/** `SQLITE_*` for SQLite failures, `E*` for Node's, "" otherwise. */
export function errorCode(error: unknown): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : "";
}
