import { RaftError } from "../engine/errors.js";
import type { LogReader } from "../engine/log-reader.js";
import { Index, Term } from "../engine/brands.js";
import type { Entry, HardState } from "../engine/types.js";

/**
 * The Raft log and hard state in an array: synchronous, no durability. The
 * building block of `@raft/log-memory` and of the simulator's stores (as
 * etcd-raft's MemoryStorage is for its tests).
 */
export class MemoryLog implements LogReader {
  /** entries[0] is the entry at `base + 1`. */
  private entriesArr: Entry[] = [];
  /** Index and term of the last compacted entry. */
  private base = Index.zero;
  private baseTerm = Term.zero;
  hardState: HardState = { term: Term.zero, vote: 0, commit: Index.zero };

  firstIndex(): Index {
    return Index.of(this.base + 1);
  }

  lastIndex(): Index {
    return Index.of(this.base + this.entriesArr.length);
  }

  term(index: Index): Term {
    if (index === this.base) return this.baseTerm;
    this.checkRange(index, Index.of(index + 1));
    return (this.entriesArr[index - this.base - 1] as Entry).term;
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    this.checkRange(lo, hi);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.entriesArr[i - this.base - 1] as Entry;
      if (out.length > 0 && bytes + e.data.length > maxBytes) break;
      bytes += e.data.length;
      out.push(e);
    }
    return out;
  }

  /** Appends contiguous entries, discarding every entry at or after the first one's index. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index <= this.base) throw new RaftError("Compacted", `cannot append at ${first.index}: compacted up to ${this.base}`);
    if (first.index > this.lastIndex() + 1) {
      throw new RaftError("Unavailable", `cannot append at ${first.index}: the log ends at ${this.lastIndex()} (no holes)`);
    }
    this.entriesArr.length = first.index - this.base - 1;
    for (const e of entries) this.entriesArr.push(e);
  }

  /** Discards every entry; the log restarts after (index, term). */
  reset(index: Index, term: Term): void {
    this.entriesArr = [];
    this.base = index;
    this.baseTerm = term;
  }

  /** Drops entries ≤ index, remembering term(index). */
  compact(index: Index): void {
    if (index <= this.base) return;
    if (index > this.lastIndex()) throw new RaftError("Unavailable", `cannot compact to ${index}: the log ends at ${this.lastIndex()}`);
    this.baseTerm = this.term(index);
    this.entriesArr = this.entriesArr.slice(index - this.base);
    this.base = index;
  }

  /** A deep-enough copy: entries are immutable, so sharing them is safe. */
  clone(): MemoryLog {
    const c = new MemoryLog();
    c.entriesArr = this.entriesArr.slice();
    c.base = this.base;
    c.baseTerm = this.baseTerm;
    c.hardState = this.hardState;
    return c;
  }

  private checkRange(lo: Index, hi: Index): void {
    if (lo <= this.base) throw new RaftError("Compacted", `index ${lo} is compacted (first index ${this.firstIndex()})`);
    if (hi > this.lastIndex() + 1) throw new RaftError("Unavailable", `index ${hi - 1} is beyond the last index ${this.lastIndex()}`);
  }
}
