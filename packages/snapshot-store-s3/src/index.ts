/**
 * `@raft/snapshot-store-s3`: the `SnapshotStore` port in an S3 bucket (or an
 * S3-compatible service). Files stream up as multipart uploads in bounded
 * memory, the manifest is written last as the commit marker, reads are
 * ranged GETs, and receptions resume from their last flush.
 */
export { S3SnapshotStore, type LocatedSnapshot } from "./s3-snapshot-store.js";
export { MIN_PART_SIZE, s3SnapshotStoreConfigSchema, type ResolvedConfig, type S3SnapshotStoreConfig, type S3SnapshotStoreOptions } from "./config.js";
export { S3StoreError, type S3FailureReason } from "./errors.js";
export { parseLocation, type S3Location } from "./location.js";
import type { S3SnapshotStore } from "./s3-snapshot-store.js";

/** True if `store` can read the snapshot at `location` (a `locate()` URL): same endpoint (or AWS region) and bucket. */
export function canReadLocation(store: S3SnapshotStore, location: string): boolean {
  return store.canRead(location);
}
