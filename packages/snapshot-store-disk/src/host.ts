import type { Logger, SnapshotMeta, SnapshotWriter } from "@raft/core/contracts";
import type { HashThread } from "./hash-thread.js";
import type { Layout } from "./layout.js";
import type { DiskSnapshotStoreFaults } from "./options.js";

/** A writer the store can stop (on close, prune, or a newer receive): later calls reject with `Aborted`. */
export interface StoppableWriter extends SnapshotWriter {
  stop(): Promise<void>;
}

/** What the store lends its writers. */
export interface Host {
  readonly layout: Layout;
  readonly fsync: boolean;
  /** Write and read snapshot files with direct I/O where the file system allows it (`direct-io.ts`). */
  readonly directIo: boolean;
  readonly faults: DiskSnapshotStoreFaults;
  readonly logger: Logger;
  readonly now: () => number;
  /** SHA-256 of files as they are written (and of whole files), off the event loop. */
  readonly hasher: HashThread;
  /**
   * Renames the directory `from` to `snapshots/<id>` and records it. If the id
   * is already committed, nothing moves and `published` is false (the caller
   * removes `from`). On failure nothing new is visible.
   */
  publish(from: string, meta: SnapshotMeta): Promise<{ meta: SnapshotMeta; published: boolean }>;
  /** The writer is done; `dropped` names a reception whose directory is gone. */
  finished(writer: StoppableWriter, dropped?: string): void;
}
