import { Index, type Term } from "./brands.js";
import type { Entry } from "./types.js";

/** What an entry costs beyond its payload (object, index, term), so empty entries count too. */
const ENTRY_OVERHEAD = 64;

function cost(e: Entry): number {
  return e.data.length + ENTRY_OVERHEAD;
}

/**
 * The most recent durable entries, kept in memory up to a byte budget, so
 * that applying them and sending them to followers a little behind reads
 * nothing from storage: each entry is read (or kept) once and shared by every
 * follower. Contiguous; the oldest entries go first when over budget.
 */
export class EntryCache {
  private entries: Entry[] = [];
  /** Index of `entries[head]`. */
  private start = Index.zero;
  private head = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Index of the oldest entry held; every index from it up to `end()` is held. */
  first(): Index {
    return this.start;
  }

  /** One past the newest entry held. */
  end(): Index {
    return Index.of(this.start + this.entries.length - this.head);
  }

  term(index: Index): Term | undefined {
    if (index < this.start || index >= this.end()) return undefined;
    return (this.entries[this.head + index - this.start] as Entry).term;
  }

  /** Entries in [lo, hi) ∩ what is held, starting at lo (empty unless lo is held). */
  slice(lo: Index, hi: Index): Entry[] {
    if (lo < this.start || lo >= this.end()) return [];
    const from = this.head + lo - this.start;
    return this.entries.slice(from, from + Math.min(hi, this.end()) - lo);
  }

  /** Entries that just became durable, right after the ones held (anything else starts the cache over). */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index !== this.end()) this.clear(first.index);
    for (const e of entries) {
      this.entries.push(e);
      this.bytes += cost(e);
    }
    this.evict();
  }

  /** Forgets every entry ≥ index (a new leader replaced them). */
  truncateFrom(index: Index): void {
    if (index >= this.end()) return;
    if (index <= this.start) return this.clear(index);
    for (let i = index; i < this.end(); i++) this.bytes -= cost(this.entries[this.head + i - this.start] as Entry);
    this.entries.length = this.head + index - this.start;
  }

  /** Forgets everything; the next entry expected is `next`. */
  clear(next: Index): void {
    this.entries = [];
    this.head = 0;
    this.start = next;
    this.bytes = 0;
  }

  private evict(): void {
    // Always keep the newest entry, however large.
    while (this.bytes > this.maxBytes && this.end() - this.start > 1) {
      this.bytes -= cost(this.entries[this.head] as Entry);
      this.head++;
      this.start++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
