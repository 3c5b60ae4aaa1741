import type { Index, Membership, SnapshotMeta, Term } from "../engine/index.js";

/** What a new local snapshot is of; the store computes files, sizes, checksums and the id as it is written. */
export interface SnapshotDraft {
  readonly index: Index;
  readonly term: Term;
  readonly membership: Membership;
}

/**
 * Streams one snapshot into a store. Files are written one after another in
 * manifest order; `write` with a new name closes the previous file.
 */
export interface SnapshotWriter {
  /** Appends `chunk` to file `file`. The writer is done with `chunk` once this resolves: the caller may reuse its memory. */
  write(file: string, chunk: Uint8Array): Promise<void>;
  /**
   * Makes everything written so far durable and records it as the resume
   * offset. Calls take effect in call order: a `write` issued while a flush
   * is pending is not covered by it (a later flush covers it), so a caller
   * may go on writing while the flush syncs — the runtime does, so that the
   * disk's fsync overlaps the network. It keeps at most one flush pending.
   */
  flush(): Promise<void>;
  /**
   * Durably and atomically publishes the snapshot and returns its manifest.
   * For a received snapshot, first checks every file's size and SHA-256
   * against the expected manifest: a mismatch discards the partial data and
   * rejects with `Corrupt`. Any failure leaves no new snapshot visible and
   * the previous ones intact.
   */
  commit(): Promise<SnapshotMeta>;
  /** Discards the partial snapshot (and its resume state). */
  abort(): Promise<void>;
}

/** A received snapshot being written, and how much of each file is already durable. */
export interface SnapshotReception {
  readonly writer: SnapshotWriter;
  /** Durable bytes per file name; files absent here start at 0. Whole files equal to ones already held count as done. */
  readonly progress: ReadonlyMap<string, number>;
}

export interface OpenOptions {
  /** Byte offset in the file to start from. Default 0. */
  readonly offset?: number;
  /** Bytes per chunk yielded. Default 1 MiB. */
  readonly chunkSize?: number;
  /**
   * The consumer is done with each chunk by the time it pulls the next one,
   * so the store may read the next chunk into the same memory (and read it
   * ahead meanwhile): no fresh buffer per chunk, and none of the garbage
   * collection that would follow. Default false: every chunk is the
   * consumer's to keep. A store may ignore it.
   */
  readonly reuseBuffers?: boolean;
}

/**
 * A committed snapshot reached through a location (`SnapshotStore.locate`
 * of another store): its manifest, and reads of its files. A follower whose
 * store can read the location receives the snapshot from here instead of
 * pulling it from the leader.
 */
export interface LocatedSnapshot {
  /** The manifest found at the location, validated. */
  readonly meta: SnapshotMeta;
  /**
   * Reads a file from `offset` in chunks of at most `chunkSize` bytes, with
   * backpressure (pull), as `SnapshotStore.open`. Failures are `RaftError`s:
   * `Unavailable` or `Busy` when the location cannot be reached (after the
   * store's own retries), `NotFound` when the snapshot is gone from it,
   * `Corrupt` when an object is not the size its manifest says.
   */
  open(file: string, options?: OpenOptions): AsyncIterable<Uint8Array>;
}

/**
 * The `SnapshotStore` port: durable, verifiable snapshots.
 *
 * Invariants:
 * - a snapshot becomes visible only through `commit()`, atomically; a crash
 *   or `abort()` before that leaves nothing visible;
 * - a received snapshot's partial data survives a crash up to the last
 *   `flush()`, and `receive()` of the same id resumes there;
 * - manifests read back are validated; a snapshot whose stored bytes no
 *   longer match its manifest fails `verify()` with `Corrupt`;
 * - `prune()` never removes a pinned snapshot, nor the newest one;
 * - failures are `RaftError`s: `NotFound`, `Corrupt`, `DiskFull`, `StorageFailure`.
 */
export interface SnapshotStore {
  /** Starts a new local snapshot. */
  create(draft: SnapshotDraft): Promise<SnapshotWriter>;
  /** Starts, or resumes from its durable progress, receiving the snapshot `meta` describes. */
  receive(meta: SnapshotMeta): Promise<SnapshotReception>;
  /** The newest committed snapshot (highest index), if any. */
  latest(): Promise<SnapshotMeta | undefined>;
  /** Committed snapshots, newest first. */
  list(): Promise<SnapshotMeta[]>;
  /** The manifest of a committed snapshot; `NotFound` if there is none. */
  get(id: string): Promise<SnapshotMeta>;
  /** Reads a file of a committed snapshot as chunks, with backpressure (pull). */
  open(id: string, file: string, options?: OpenOptions): AsyncIterable<Uint8Array>;
  /** Re-reads every file and checks sizes and checksums; `Corrupt` on a mismatch. */
  verify(id: string): Promise<void>;
  /** Keeps `id` from being pruned until the returned function is called. */
  pin(id: string): () => void;
  /** Removes committed snapshots beyond the newest `keep`, except pinned ones, and partials older than the newest; returns removed ids. */
  prune(keep: number): Promise<string[]>;
  /**
   * Located snapshots, for stores a follower can read directly (S3). All
   * three are optional; a store that has `locate` lets its node, as leader,
   * offer snapshots as `{ kind: "url", url }` (the snapshot can still be
   * pulled from it over the transport); a store with `canRead` and
   * `openLocated` lets its node, as follower, receive from such a URL.
   *
   * `locate(id)`: a URL (at most 4096 characters, parseable by `new URL`)
   * where another store can find the committed snapshot `id`, or `undefined`
   * if there is none. It never carries credentials.
   */
  locate?(id: string): Promise<string | undefined>;
  /**
   * Whether this store can read the snapshot at `location` (a `locate()`
   * URL, possibly of another store): the same service and bucket, say.
   * Synchronous and without I/O; `false` for anything it does not recognise.
   * It says nothing about reachability: reads may still fail.
   */
  canRead?(location: string): boolean;
  /**
   * Opens the snapshot at `location` for reading: reads and validates its
   * manifest. `NotFound` if it is gone (pruned), `InvalidConfig` if
   * `canRead(location)` is false, `Unavailable`/`Busy` if it cannot be
   * reached. Nothing is pinned on the other store's side. The bytes are
   * received with `receive(meta)` like a peer's, so they are checked by
   * `commit()` before anything is installed. When the location is under this
   * store's own prefix (shared by several nodes), `get(id)` already finds the
   * snapshot and nothing needs to be copied.
   */
  openLocated?(location: string): Promise<LocatedSnapshot>;
  close(): Promise<void>;
}
