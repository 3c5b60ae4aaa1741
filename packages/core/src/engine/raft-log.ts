import { EntryCache } from "./entry-cache.js";
import { RaftError } from "./errors.js";
import type { LogReader } from "./log-reader.js";
import { Unstable } from "./unstable.js";
import { Index, Term } from "./brands.js";
import type { Entry } from "./types.js";

/**
 * The engine's log: durable entries (read through `LogReader`, the most
 * recent ones from a shared in-memory cache) plus the unstable tail, and the
 * commit/apply cursors.
 */
export class RaftLog {
  readonly storage: LogReader;
  readonly unstable: Unstable;
  /** Recent durable entries: reads of the log's tail never touch storage. */
  private readonly cache: EntryCache;
  /** What may still be read from storage in this turn (see `resetReadBudget`). */
  private readonly readBudget = { bytes: Infinity, entries: Infinity };
  committed: Index;
  /** Highest index handed out for applying (in a Ready not yet advanced, or already applied). */
  applying: Index;
  /** Highest index the driver has acknowledged as applied. */
  applied: Index;

  constructor(storage: LogReader, committed: Index, applied: Index, cacheBytes: number) {
    this.storage = storage;
    this.unstable = new Unstable(Index.of(storage.lastIndex() + 1));
    this.cache = new EntryCache(cacheBytes);
    this.cache.clear(Index.of(storage.lastIndex() + 1));
    this.committed = committed;
    this.applied = applied;
    this.applying = applied;
  }

  firstIndex(): Index {
    const reset = this.unstable.reset;
    return reset === undefined ? this.storage.firstIndex() : Index.of(reset.index + 1);
  }

  lastIndex(): Index {
    return this.unstable.lastIndex() ?? this.unstable.reset?.index ?? this.storage.lastIndex();
  }

  /** Last index that is durable locally (and not superseded by an unstable truncation or reset). */
  durableLastIndex(): Index {
    if (this.unstable.reset !== undefined) return Index.zero;
    return this.unstable.entries.length > 0 ? Index.of(this.unstable.offset - 1) : this.storage.lastIndex();
  }

  /** Term at index, or undefined if the index is compacted or beyond the log. */
  term(index: Index): Term | undefined {
    const t = this.unstable.term(index);
    if (t !== undefined) return t;
    if (index >= this.unstable.offset || this.unstable.reset !== undefined) return undefined;
    if (index < this.storage.firstIndex() - 1 || index > this.storage.lastIndex()) return undefined;
    return this.cache.term(index) ?? this.storage.term(index);
  }

  lastTerm(): Term {
    return this.term(this.lastIndex()) ?? Term.zero;
  }

  matchTerm(index: Index, term: Term): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: Index, lastTerm: Term): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Follower side of AppendEntries. Returns the last index now known to match
   * the leader, or undefined if (prevIndex, prevTerm) does not match.
   */
  maybeAppend(prevIndex: Index, prevTerm: Term, commit: Index, entries: readonly Entry[]): Index | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = Index.of(prevIndex + entries.length);
    const conflict = this.findConflict(entries);
    if (conflict !== undefined) {
      if (conflict <= this.committed) {
        throw new RaftError("Corrupt", `entry ${conflict} conflicts with committed entry (commit ${this.committed})`);
      }
      this.append(entries.slice(conflict - (prevIndex + 1)));
    }
    this.commitTo(Index.of(Math.min(commit, lastNew)));
    return lastNew;
  }

  /** Index of the first entry whose term differs from ours (or that we lack); undefined if all match. */
  private findConflict(entries: readonly Entry[]): Index | undefined {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return undefined;
  }

  /**
   * The largest index ≤ `index` whose term is ≤ `term`, with that term. Used on
   * both sides of a rejected append to skip a whole term per round trip.
   */
  findConflictByTerm(index: Index, term: Term): { index: Index; term: Term } {
    const floor = this.firstIndex() - 1;
    for (let i = Math.min(index, this.lastIndex()); i >= floor; i--) {
      const t = this.term(Index.of(i));
      if (t === undefined) break;
      if (t <= term) return { index: Index.of(i), term: t };
    }
    return { index: Index.of(Math.max(floor, 0)), term: Term.zero };
  }

  append(entries: readonly Entry[]): void {
    const first = entries[0];
    // Durable entries this replaces are stale in the cache too.
    if (first !== undefined && first.index < this.unstable.offset) this.cache.truncateFrom(first.index);
    this.unstable.truncateAndAppend(entries);
  }

  /** Every write up to the one that ended at (index, term) is durable: its entries move to the cache. */
  stableTo(index: Index, term: Term): void {
    this.cache.append(this.unstable.stableTo(index, term));
  }

  /** Allows `bytes` and `entries` of storage reads until the next reset: catch-up reads never hold the loop for long. */
  resetReadBudget(bytes: number, entries: number): void {
    this.readBudget.bytes = bytes;
    this.readBudget.entries = entries;
  }

  /** What this turn's budget still allows a read from storage: at most this many entries and about these bytes. */
  readAllowance(): { bytes: number; entries: number } {
    return { bytes: Math.max(this.readBudget.bytes, 1), entries: Math.max(this.readBudget.entries, 1) };
  }

  /** Entries from `lo` on are held in memory (the cache or the unstable tail). */
  inMemory(lo: Index): boolean {
    return lo >= this.cache.first() || lo >= this.unstable.offset;
  }

  /**
   * Whether reading from `lo` must wait: "turn" when it needs storage and this
   * turn's budget is spent (try again next turn), "storage" while the storage
   * is still reading those entries off the event loop (try again once it says
   * they are readable), undefined when it may go ahead.
   */
  storageWait(lo: Index): "turn" | "storage" | undefined {
    if (!(lo < this.cache.first() && lo < this.unstable.offset && lo >= this.firstIndex())) return undefined;
    if (this.readBudget.bytes <= 0 || this.readBudget.entries <= 0) return "turn";
    return this.storage.readable?.(lo) === false ? "storage" : undefined;
  }

  commitTo(index: Index): void {
    if (index > this.committed) {
      if (index > this.lastIndex()) {
        throw new RaftError("Corrupt", `commit ${index} is beyond the last index ${this.lastIndex()}`);
      }
      this.committed = index;
    }
  }

  /**
   * Entries in [lo, hi), at most `maxCount` and about `maxBytes` of data (at
   * least one). Undefined if lo is compacted.
   */
  slice(lo: Index, hi: Index, maxBytes: number, maxCount = Infinity): Entry[] | undefined {
    hi = Index.of(Math.min(hi, lo + maxCount));
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) return undefined;
    const out: Entry[] = [];
    let bytes = 0;
    const take = (entries: readonly Entry[]): boolean => {
      for (const e of entries) {
        if (out.length > 0 && bytes + e.data.length > maxBytes) return false;
        out.push(e);
        bytes += e.data.length;
      }
      return true;
    };
    // Storage below the cache, then the cache, then the unstable tail: each range is contiguous with the next.
    const stableHi = Index.of(Math.min(hi, this.unstable.offset));
    const storageHi = Index.of(Math.min(stableHi, Math.max(this.cache.first(), lo)));
    if (lo < storageHi) {
      const read = this.storage.entries(lo, storageHi, maxBytes);
      this.readBudget.entries -= read.length;
      for (const e of read) this.readBudget.bytes -= e.data.length;
      if (!take(read) || out.length < storageHi - lo) return out;
    }
    const cacheLo = Index.of(lo + out.length);
    if (cacheLo < stableHi) {
      const cached = this.cache.slice(cacheLo, stableHi);
      if (!take(cached) || out.length < stableHi - lo) return out;
    }
    const from = Index.of(Math.max(lo, this.unstable.offset));
    if (from < hi) take(this.unstable.slice(from, hi));
    return out;
  }

  hasEntriesToApply(): boolean {
    return this.committed > this.applying;
  }

  /** Committed entries not yet handed out, about `maxBytes` of them; marks them as applying. */
  takeEntriesToApply(maxBytes: number): Entry[] {
    if (!this.hasEntriesToApply()) return [];
    const entries = this.slice(Index.of(this.applying + 1), Index.of(this.committed + 1), maxBytes) ?? [];
    const last = entries[entries.length - 1];
    if (last !== undefined) this.applying = last.index;
    return entries;
  }

  appliedTo(index: Index): void {
    if (index > this.applied) this.applied = index;
  }

  /**
   * The state machine now holds the snapshot at (index, term). A log that
   * already holds that entry keeps its suffix; any other restarts after it.
   */
  installSnapshot(index: Index, term: Term): void {
    if (!this.matchTerm(index, term)) {
      this.unstable.restore(index, term);
      this.cache.clear(Index.of(index + 1));
      this.committed = index;
    } else {
      this.commitTo(index);
    }
    this.applied = index;
    this.applying = index;
  }
}
