import { loggerOption, parseOptions } from "@raft/core/contracts";
import { z } from "zod";

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

const isFunction = (v: unknown) => typeof v === "function";

/**
 * The options of `DiskSnapshotStore.open`, checked with zod: a bad or unknown
 * field throws `RaftError("InvalidConfig")` naming it.
 */
export const diskSnapshotStoreOptionsSchema = z.strictObject({
  dir: z.string().min(1, "must be a non-empty path").describe("the store's directory, created if missing. One store, in one process, per directory"),
  fsync: z.boolean().default(true).describe("fsync files and directories where durability needs it; turn it off only for throwaway data"),
  directIo: z
    .boolean()
    .default(true)
    .describe(
      "write snapshots (received or created), and read them for restores and peers, with direct I/O (O_DIRECT) where the platform and file system allow it (Linux), so multi-GiB snapshots bypass the page cache; elsewhere, or when false, ordinary buffered I/O",
    ),
  logger: loggerOption.describe("a Logger for warnings: quarantined manifests, discarded resume state"),
  now: z
    .custom<() => number>(isFunction, { message: "must be a function returning milliseconds" })
    .optional()
    .meta({ title: "() => number", defaultText: "Date.now" })
    .describe("the clock used for createdAt"),
  faults: z
    .custom<DiskSnapshotStoreFaults>((v) => typeof v === "object" && v !== null, { message: "must be an object of hooks" })
    .optional()
    .meta({ title: "DiskSnapshotStoreFaults", defaultText: "none" })
    .describe(
      "for tests only: hooks beforeWrite(path), beforeRename(from, to) and afterRename(from, to) on the write path. A hook that throws fails the operation at that point, as an I/O error would (an error with code ENOSPC acts as a full disk); one that copies dir captures what a crash at that instant leaves",
    ),
});

export type DiskSnapshotStoreOptions = z.input<typeof diskSnapshotStoreOptionsSchema>;

/** The options with their defaults, or `InvalidConfig` naming each bad field. */
export function resolveOptions(options: DiskSnapshotStoreOptions): z.output<typeof diskSnapshotStoreOptionsSchema> {
  return parseOptions(diskSnapshotStoreOptionsSchema, options, "DiskSnapshotStore options");
}
