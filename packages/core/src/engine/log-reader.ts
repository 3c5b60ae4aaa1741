import type { Entry, Index, Term } from "./types.js";

/**
 * The engine's read-only, synchronous view of the durable log. `LogStore`
 * adapters implement it; the engine never writes through it (writes leave the
 * engine in `Ready` and come back acknowledged by `advance()`).
 *
 * Invariants an implementation keeps:
 * - the log is contiguous from `firstIndex()` to `lastIndex()` (no holes);
 * - `term(firstIndex() - 1)` is the term of the last compacted entry (0 for an empty log);
 * - reads reflect every write whose promise has resolved.
 */
export interface LogReader {
  /** Index of the first entry still held; `lastIndex() + 1` when empty. */
  firstIndex(): Index;
  /** Index of the last durable entry; `firstIndex() - 1` when empty. */
  lastIndex(): Index;
  /** Term at `index`, for `firstIndex() - 1 ≤ index ≤ lastIndex()`; throws `RaftError("Compacted"|"Unavailable")` otherwise. */
  term(index: Index): Term;
  /**
   * Entries in [lo, hi), in order, stopping early once their data exceeds
   * `maxBytes` (at least one entry is returned). Throws `Compacted` if
   * lo < firstIndex() and `Unavailable` if hi > lastIndex() + 1.
   */
  entries(lo: Index, hi: Index, maxBytes: number): Entry[];
  /**
   * Optional: false while the entries from `lo` on are being read off the
   * event loop for a later `entries()` call. The engine then puts off sending
   * them until the driver calls `RaftEngine.logReadable()`. Absent: always true.
   */
  readable?(lo: Index): boolean;
}
