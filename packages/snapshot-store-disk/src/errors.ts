import { RaftError, isRaftError, type RaftErrorCode } from "@raft/core/contracts";

/** The errno code of a Node.js system error, if it is one. */
export function errno(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Maps a Node.js failure to a `RaftError` with the path in its message and the
 * original as `cause`. A full disk is `DiskFull` (callers may free space and
 * retry); a missing file means whatever `enoent` says where it is called.
 */
export function storageError(error: unknown, action: string, path: string, enoent: RaftErrorCode = "StorageFailure"): RaftError {
  if (isRaftError(error)) return error;
  const code = errno(error);
  const raftCode: RaftErrorCode = code === "ENOSPC" || code === "EDQUOT" ? "DiskFull" : code === "ENOENT" ? enoent : "StorageFailure";
  const reason = error instanceof Error ? error.message : String(error);
  return new RaftError(raftCode, `snapshot store: ${action} ${path}: ${reason}`, { cause: error });
}

/** Runs one file-system step, mapping its failure with `storageError`. */
export async function io<T>(action: string, path: string, fn: () => Promise<T>, enoent?: RaftErrorCode): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw storageError(e, action, path, enoent);
  }
}
