import { Index, type Term } from "./brands.js";
import type { Entry } from "./types.js";

/**
 * The log tail that is not yet durable. Entries below `inProgress` have been
 * handed to a `Ready` and are being written; `stableTo` drops them once the
 * write is acknowledged. Keeping this tail apart lets persistence be
 * asynchronous without the roles knowing about it.
 */
export class Unstable {
  /** Index of `entries[0]`. */
  offset: Index;
  entries: Entry[] = [];
  /** Entries with index < inProgress are in the Ready being persisted. */
  inProgress: Index;
  /** A log reset to an installed snapshot's position, not yet durable; entries follow it. */
  reset: { index: Index; term: Term } | undefined;
  /** The reset has been handed to a Ready. */
  resetInProgress = false;

  constructor(offset: Index) {
    this.offset = offset;
    this.inProgress = offset;
  }

  lastIndex(): Index | undefined {
    return this.entries.length === 0 ? undefined : Index.of(this.offset + this.entries.length - 1);
  }

  term(index: Index): Term | undefined {
    if (this.reset !== undefined && index === this.reset.index) return this.reset.term;
    if (index < this.offset) return undefined;
    return this.entries[index - this.offset]?.term;
  }

  /** Entries not yet handed to a Ready. */
  pending(): Entry[] {
    const from = this.inProgress - this.offset;
    return from >= this.entries.length ? [] : this.entries.slice(from);
  }

  hasPending(): boolean {
    return this.inProgress < this.offset + this.entries.length || (this.reset !== undefined && !this.resetInProgress);
  }

  /** Marks every entry (and a pending reset) as handed to a Ready. */
  acceptInProgress(): void {
    this.inProgress = Index.of(this.offset + this.entries.length);
    if (this.reset !== undefined) this.resetInProgress = true;
  }

  /** Restarts the log after (index, term): everything before is covered by an installed snapshot. */
  restore(index: Index, term: Term): void {
    this.reset = { index, term };
    this.resetInProgress = false;
    this.offset = Index.of(index + 1);
    this.inProgress = this.offset;
    this.entries = [];
  }

  /**
   * Every write up to the one that ended at (index, term) is durable: drop
   * those entries (and a reset handed out before them) and return them. If
   * the log was truncated since, the entry at index has another term and
   * nothing is marked; a later acknowledgement covers it.
   */
  stableTo(index: Index, term: Term): Entry[] {
    if (this.term(index) !== term) return [];
    if (this.reset !== undefined && this.resetInProgress && index >= this.reset.index) {
      this.reset = undefined;
      this.resetInProgress = false;
    }
    if (index < this.offset) return [];
    const stable = this.entries.slice(0, index + 1 - this.offset);
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = Index.of(index + 1);
    this.inProgress = Index.of(Math.max(this.inProgress, this.offset));
    return stable;
  }

  /** Appends entries that start at or before the end, discarding any that they replace. */
  truncateAndAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      for (const e of entries) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replaces everything unstable; earlier stable entries ≥ after are superseded by the next write.
      this.offset = after;
      this.entries = entries.slice();
      this.inProgress = after;
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(entries);
      this.inProgress = Index.of(Math.min(this.inProgress, after));
    }
  }

  /** Entries in [lo, hi); requires offset ≤ lo ≤ hi. */
  slice(lo: Index, hi: Index): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
