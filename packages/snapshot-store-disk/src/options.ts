import { RaftError, type Logger } from "@raft/core/contracts";

/**
 * For tests only: each hook runs at one point of the write path, and throwing
 * there fails the operation as an I/O error at that point would. An error
 * with `code: "ENOSPC"` acts as a full disk. A hook may also copy the
 * directory to capture what a crash at that instant would leave behind.
 */
export interface DiskSnapshotStoreFaults {
  /** Before each chunk is written to `path`. */
  beforeWrite?(path: string): void | Promise<void>;
  /** Commit: the files and manifest in `from` are durable; not yet renamed to `to`. */
  beforeRename?(from: string, to: string): void | Promise<void>;
  /** Commit: renamed to `to`; the parent directories are not yet fsynced. */
  afterRename?(from: string, to: string): void | Promise<void>;
}

export interface DiskSnapshotStoreOptions {
  /** The store's directory; created if missing. One store (one process) per directory. */
  dir: string;
  /** fsync files and directories where durability needs it. Default true; turn off only for throwaway data. */
  fsync?: boolean;
  /** Where warnings go (a quarantined manifest, discarded resume state). Default: silent. */
  logger?: Logger;
  /** Clock for `createdAt`. Default `Date.now`. */
  now?: () => number;
  /** Failure injection for tests; see `DiskSnapshotStoreFaults`. */
  faults?: DiskSnapshotStoreFaults;
}

export function checkOptions(options: DiskSnapshotStoreOptions): void {
  const bad = (field: string, what: string) => new RaftError("InvalidConfig", `DiskSnapshotStore option ${field} must be ${what}`);
  if (typeof options !== "object" || options === null) throw bad("object", "an object");
  if (typeof options.dir !== "string" || options.dir.length === 0) throw bad("dir", "a non-empty path");
  if (options.fsync !== undefined && typeof options.fsync !== "boolean") throw bad("fsync", "a boolean");
  if (options.now !== undefined && typeof options.now !== "function") throw bad("now", "a function");
}
