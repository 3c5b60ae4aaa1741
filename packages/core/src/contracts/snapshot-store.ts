import type { Membership, SnapshotMeta } from "../engine/index.js";

/** What a new local snapshot is of; the store computes files, sizes, checksums and the id as it is written. */
export interface SnapshotDraft {
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
}

/**
 * Streams one snapshot into a store. Files are written one after another in
 * manifest order; `write` with a new name closes the previous file.
 */
export interface SnapshotWriter {
  /** Appends `chunk` to file `file`. */
  write(file: string, chunk: Uint8Array): Promise<void>;
  /** Makes everything written so far durable and records it as the resume offset. */
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
  /** For stores a follower can read directly (S3): a URL for `id`. */
  locate?(id: string): Promise<string | undefined>;
  close(): Promise<void>;
}
