import type { LogStore, LogWrite } from "../../contracts/log-store.js";
import { Index, type Entry, type HardState, type Term } from "../../engine/index.js";
import type { TokenBucket } from "../token-bucket.js";

/** How far one read ahead goes: about a turn's catch-up budget. */
export interface ReadAheadLimits {
  readonly entries: number;
  readonly bytes: number;
}

/** Entries read ahead, contiguous from `lo`. */
interface Segment {
  readonly lo: number;
  readonly entries: readonly Entry[];
}

/** A read ahead in flight over [lo, hi); voided by a write or compaction that touches it, its result is dropped. */
interface Read {
  readonly lo: number;
  readonly hi: number;
  voided: boolean;
}

/** What a node read ahead for lagging followers, and how long pacing held it back. */
export interface CatchUpStats {
  /** Entries handed to the engine from what was read ahead. */
  entries: number;
  /** Their bytes as pacing counts them: each entry's payload plus 32. */
  bytes: number;
  /** Milliseconds pacing held entries read ahead back, summed over the waits. */
  pacedMs: number;
}

/** At most this many ranges read ahead at once, and held: one per lagging follower, about. */
const MAX_SEGMENTS = 4;

/** What pacing counts per entry besides its payload: its index, term and kind, as stored and as sent. */
const ENTRY_OVERHEAD_BYTES = 32;

/**
 * A `LogStore` whose catch-up reads come from entries its store read off the
 * event loop (`LogStore.readAhead`), so a lagging follower never costs the
 * loop a storage read: the engine asks whether entries are `readable`; if not,
 * a read ahead starts and the engine waits until `onReadable` says they are
 * here. Each range served starts the read of the next, so a catch-up streams.
 *
 * What is held is only ever what the store holds: a read ahead covers only
 * entries below every write in flight and none while a compaction is; a
 * write that reaches into what was read (a truncation, a reset) drops what it
 * touches and voids the reads in flight over it, and so does a compaction
 * for what it removes.
 *
 * With a `pacing` bucket, what was read is handed out no faster than the
 * bucket allows: a catch-up then takes a bounded share of this node's time
 * and of the disk and CPU of the follower it feeds, so the writes of clients
 * stay fast meanwhile (the recent tail, served from the engine's cache, is
 * never paced). Entries are paid for as they are handed out, never more
 * than the bucket holds: a range read and then dropped (a write voided it,
 * the follower's position moved) costs nothing, so pacing never runs up a
 * debt that holds back the entries a follower needs now.
 */
export class ReadAheadLog implements LogStore {
  readonly stats: CatchUpStats = { entries: 0, bytes: 0, pacedMs: 0 };
  private segments: Segment[] = [];
  /** Reads in flight, by their first index. */
  private readonly reading = new Map<number, Read>();
  /** First index touched by each write in flight (`Infinity` for none, 0 for a compaction). */
  private readonly inFlight = new Set<{ readonly from: number }>();
  /** A range whose read ahead failed: read it in place, once. */
  private failedAt: number | undefined;
  private closed = false;
  /** Cancels the wake-up set for when pacing lets the entries held back go. */
  private cancelWake: (() => void) | undefined;

  constructor(
    private readonly store: LogStore & Required<Pick<LogStore, "readAhead">>,
    private readonly limits: ReadAheadLimits,
    private readonly onReadable: () => void,
    private readonly pacing?: TokenBucket,
  ) {}

  /** `store` itself when it cannot read ahead (its reads are then neither off the loop nor paced). */
  static over(store: LogStore, limits: ReadAheadLimits, onReadable: () => void, pacing?: TokenBucket): LogStore {
    return hasReadAhead(store) ? new ReadAheadLog(store, limits, onReadable, pacing) : store;
  }

  firstIndex(): Index {
    return this.store.firstIndex();
  }

  lastIndex(): Index {
    return this.store.lastIndex();
  }

  term(index: Index): Term {
    return this.store.term(index);
  }

  readable(lo: Index): boolean {
    const segment = this.find(lo);
    if (segment !== undefined) return !this.heldBack(pacedBytes(segment.entries[lo - segment.lo] as Entry));
    if (this.failedAt === lo) return true;
    // While pacing holds entries back, nothing more is read: it could only evict what waits to be paid for.
    if (this.cancelWake !== undefined) return false;
    // Readable now if no read ahead can start (then it is read in place), else once the read it starts arrives.
    return !this.start(lo);
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    const segment = this.find(lo);
    if (segment === undefined) {
      if (this.failedAt === lo) this.failedAt = undefined;
      return this.store.entries(lo, hi, maxBytes);
    }
    // No more than pacing has paid for, and always the first entry: readable() waited until it was.
    const allowance = this.pacing?.available() ?? Infinity;
    const out: Entry[] = [];
    let bytes = 0;
    let paced = 0;
    for (let i = lo - segment.lo; i < segment.entries.length && lo + out.length < hi; i++) {
      const e = segment.entries[i] as Entry;
      const cost = pacedBytes(e);
      if (out.length > 0 && (bytes + e.data.length > maxBytes || paced + cost > allowance)) break;
      out.push(e);
      bytes += e.data.length;
      paced += cost;
    }
    this.pacing?.spend(paced);
    this.stats.entries += out.length;
    this.stats.bytes += paced;
    const end = lo + out.length;
    // Served entries are not read again; the next range is read while these are sent.
    this.segments = this.segments.filter((s) => s !== segment);
    if (end < segment.lo + segment.entries.length) this.segments.push({ lo: end, entries: segment.entries.slice(end - segment.lo) });
    else this.start(end);
    return out;
  }

  loadHardState(): Promise<HardState> {
    return this.store.loadHardState();
  }

  save(write: LogWrite): Promise<void> {
    const first = write.reset !== undefined ? 0 : (write.entries[0]?.index ?? Infinity);
    // What lies at or after the first entry written may be rewritten.
    this.drop((lo, end) => end >= first);
    return this.tracked(first, this.store.save(write));
  }

  compact(index: Index): Promise<void> {
    // What starts at or below the compaction point is removed, at least in part.
    this.drop((lo) => lo <= index);
    return this.tracked(0, this.store.compact(index));
  }

  close(): Promise<void> {
    this.drop(() => true);
    this.closed = true;
    this.cancelWake?.();
    return this.store.close();
  }

  private find(lo: number): Segment | undefined {
    return this.segments.find((s) => lo >= s.lo && lo < s.lo + s.entries.length);
  }

  /**
   * Starts reading ahead from `lo` unless a read in flight covers it; false
   * when it cannot (a compaction in flight, nothing below the writes, too many reads).
   */
  private start(lo: number): boolean {
    for (const r of this.reading.values()) if (!r.voided && lo >= r.lo && lo < r.hi) return true;
    let below = this.store.lastIndex() + 1;
    for (const w of this.inFlight) below = Math.min(below, w.from);
    const hi = Math.min(below, lo + this.limits.entries);
    if (lo >= hi || lo < this.store.firstIndex() || this.reading.size >= MAX_SEGMENTS) return false;
    const read: Read = { lo, hi, voided: false };
    this.reading.set(lo, read);
    void this.fetch(read);
    return true;
  }

  /** Reads ahead, then holds the entries unless a write voided them meanwhile. */
  private async fetch(read: Read): Promise<void> {
    const { lo, hi } = read;
    let entries: Entry[];
    try {
      entries = await this.store.readAhead(Index.of(lo), Index.of(hi), this.limits.bytes);
    } catch {
      // Compacted meanwhile, or the store failed: the engine reads in place (where a failure surfaces).
      this.reading.delete(lo);
      if (this.closed) return;
      if (!read.voided) this.failedAt = lo;
      this.onReadable();
      return;
    }
    this.reading.delete(lo);
    if (this.closed) return;
    // A read voided by a write is dropped; the engine, woken all the same, asks again.
    if (!read.voided && entries[0]?.index === lo) this.segments = [...this.segments.filter((s) => s.lo !== lo), { lo, entries }].slice(-MAX_SEGMENTS);
    this.onReadable();
  }

  /** True while pacing holds back entries of `bytes`; the engine is woken once they are paid for. */
  private heldBack(bytes: number): boolean {
    const pacing = this.pacing;
    const waitMs = pacing?.waitMs(bytes) ?? 0;
    if (pacing === undefined || waitMs === 0) return false;
    if (this.cancelWake === undefined) {
      this.stats.pacedMs += waitMs;
      this.cancelWake = pacing.clock.setTimeout(() => {
        this.cancelWake = undefined;
        this.onReadable();
      }, waitMs);
    }
    return true;
  }

  /** Drops the entries held and voids the reads in flight over the ranges `touched` [lo, end] (end inclusive). */
  private drop(touched: (lo: number, end: number) => boolean): void {
    this.segments = this.segments.filter((s) => !touched(s.lo, s.lo + s.entries.length - 1));
    for (const r of this.reading.values()) if (touched(r.lo, r.hi - 1)) r.voided = true;
    if (this.failedAt !== undefined && touched(this.failedAt, this.failedAt)) this.failedAt = undefined;
  }

  private tracked(from: number, write: Promise<void>): Promise<void> {
    const token = { from };
    this.inFlight.add(token);
    const done = () => void this.inFlight.delete(token);
    write.then(done, done);
    return write;
  }
}

/** What pacing counts for an entry: its payload plus its index, term and kind. */
function pacedBytes(e: Entry): number {
  return e.data.length + ENTRY_OVERHEAD_BYTES;
}

function hasReadAhead(store: LogStore): store is LogStore & Required<Pick<LogStore, "readAhead">> {
  return typeof store.readAhead === "function";
}
