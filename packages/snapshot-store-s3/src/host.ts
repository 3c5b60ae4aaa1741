import type { Logger, SnapshotMeta, SnapshotWriter } from "@raft/core/contracts";
import type { ResolvedConfig } from "./config.js";
import type { Layout } from "./layout.js";
import type { ObjectRef } from "./manifest-object.js";
import type { S3Access } from "./s3.js";

/** A writer the store can stop (on close, prune, or a newer receive): later calls reject with `Aborted`. */
export interface StoppableWriter extends SnapshotWriter {
  /** The writer's token: its objects are under `data/<owner>/<token>/`. */
  readonly token: string;
  stop(): Promise<void>;
}

/** What the store lends its writers. */
export interface Host {
  readonly s3: S3Access;
  readonly layout: Layout;
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly now: () => number;
  /**
   * Writes the manifest (the commit marker) unless the id is already
   * committed, in which case nothing is written and `published` is false.
   * On failure nothing new is visible.
   */
  publish(meta: SnapshotMeta, objects: ReadonlyMap<string, ObjectRef>): Promise<{ meta: SnapshotMeta; published: boolean }>;
  /** Removes a writer's objects and aborts its uploads; objects a manifest refers to are kept. */
  discardToken(token: string): Promise<void>;
  /** The writer is done; `dropped` names a reception whose record is gone. */
  finished(writer: StoppableWriter, dropped?: string): void;
}
