import type { Index, SnapshotMeta, Term } from "../engine/index.js";

/** A committed command, in log order. */
export interface Command {
  readonly index: Index;
  readonly term: Term;
  readonly data: Uint8Array;
}

/** One file of a state machine's snapshot, streamed. */
export interface SnapshotFileSource {
  readonly name: string;
  chunks(): AsyncIterable<Uint8Array>;
}

/** A point-in-time view of the state, handed over as one or more files. */
export interface StateMachineSnapshot {
  readonly files: readonly SnapshotFileSource[];
  /** Called once the files have been read (or the snapshot abandoned); frees the frozen view. */
  release?(): void;
}

/** A snapshot's files, read in manifest order. */
export type SnapshotFileStream = AsyncIterable<{ readonly name: string; readonly chunks: AsyncIterable<Uint8Array> }>;

/**
 * The `StateMachine` port: the user's replicated state.
 *
 * Invariants:
 * - `apply` is deterministic: the same commands in the same order give the
 *   same state and the same results on every node (no clock, no randomness,
 *   no I/O whose outcome can differ);
 * - it is called with commands in log order, each exactly once per
 *   incarnation of the node, and never concurrently with itself or `restore`;
 * - it returns one result per command, in order. A command the state machine
 *   rejects (an overdraft, say) is still applied: its result says so;
 * - `snapshot()` is called between applies and returns at once with a frozen
 *   view of the state after the last applied command; its files are read
 *   while later applies go on and must not see them (copy-on-write, an
 *   immutable structure, or a file copy);
 * - `restore()` replaces the whole state with a snapshot's; the runtime calls
 *   it only with verified bytes and applies nothing meanwhile.
 */
export interface StateMachine<Result = unknown> {
  apply(commands: readonly Command[]): Result[] | Promise<Result[]>;
  snapshot(): StateMachineSnapshot | Promise<StateMachineSnapshot>;
  restore(meta: SnapshotMeta, files: SnapshotFileStream): Promise<void>;
  /**
   * True if `restore` is done with each chunk by the time it pulls the next
   * (it decodes or copies what it keeps): the runtime then lets the store
   * read the snapshot into a couple of reused buffers instead of a fresh one
   * per chunk, which spares the garbage collector a restore's worth of
   * buffers. Default false: every chunk is `restore`'s to keep.
   */
  readonly reuseRestoreBuffers?: boolean;
}
