/**
 * `@raft/snapshot-store-disk`: the `SnapshotStore` port in a local directory.
 * Commits are atomic (temp directory, fsync, rename), receptions resume from
 * their last flush after a crash, and manifests are validated when read back.
 */
export { DiskSnapshotStore } from "./disk-snapshot-store.js";
export { diskSnapshotStoreOptionsSchema, type DiskSnapshotStoreFaults, type DiskSnapshotStoreOptions } from "./options.js";
