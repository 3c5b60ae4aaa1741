import type { Entry, HardState, Index, LogReader, Term } from "../engine/index.js";

/** One durable write: what a single `Ready` asks to persist. */
export interface LogWrite {
  /**
   * Applied first, when present: discard every entry and restart the log
   * after (index, term), the position of an installed snapshot.
   */
  readonly reset?: { readonly index: Index; readonly term: Term };
  /** Replaces the stored hard state when present. */
  readonly hardState?: HardState;
  /**
   * Contiguous entries. The first one's index must be ≤ `lastIndex() + 1`;
   * every stored entry at or after it is discarded first.
   */
  readonly entries: readonly Entry[];
  /**
   * A peer waits for this write: an acknowledgement or a vote is held until
   * it is durable. A store may spend the calling thread's time to shorten
   * that wait (commit a small write there instead of handing it to a writer
   * thread), or ignore the hint: the write means the same either way.
   */
  readonly awaited?: boolean;
}

/**
 * The `LogStore` port: the Raft log and the hard state, in one store so that a
 * vote and the log it was granted against are ordered.
 *
 * Reads (`LogReader`) are synchronous. Writes come one at a time from the
 * driver: it never issues a `save` or `compact` before the previous one
 * settled (group commit happens in the driver, which gathers the writes of
 * several Readies into one `save`). A store may carry out its writes off the
 * calling thread; what reads see meanwhile:
 * - while a write is in flight, reads below the first index it touches (its
 *   reset, its first entry, or its compaction point) return what they
 *   returned before it was issued; the rest may show the state before or
 *   after it, never a part of it;
 * - once its promise resolves, reads reflect the write whole.
 * The runtime reads only below what it has in flight: newer entries it
 * serves from memory.
 *
 * Invariants:
 * - `save()` resolves only once the entries and hard state are durable (as
 *   the adapter defines durable, stated in its README); after a crash the
 *   store holds a prefix of the writes, each whole or absent.
 * - the log has no holes: entries are contiguous from `firstIndex()` to `lastIndex()`.
 * - `compact(i)` never loses `term(i)`: it becomes `term(firstIndex() - 1)`.
 * - failures reject with a `RaftError` whose code is `StorageFailure` or `Corrupt`.
 */
export interface LogStore extends LogReader {
  /** The hard state last saved; zeros for a new store. */
  loadHardState(): Promise<HardState>;
  /** Persists a reset, the hard state and entries together, in one durable write. */
  save(write: LogWrite): Promise<void>;
  /** Discards entries ≤ `index` (which must be ≤ `lastIndex()`), keeping `term(index)`. */
  compact(index: Index): Promise<void>;
  /** Releases resources. No other method is called afterwards. */
  close(): Promise<void>;
  /**
   * Optional: reads entries in [lo, hi) as `entries()` does, but off the
   * caller's thread, so catching up a lagging follower never holds the event
   * loop (a store whose reads cost little, such as one in memory, leaves it
   * out). Resolves with a prefix of the range: at least one entry, stopping
   * once their data exceeds `maxBytes`. The runtime asks only below every
   * write it has in flight, and drops what it got if a later write reaches into
   * it. Rejects as `entries()` throws (for example, compacted meanwhile).
   */
  readAhead?(lo: Index, hi: Index, maxBytes: number): Promise<Entry[]>;
}
