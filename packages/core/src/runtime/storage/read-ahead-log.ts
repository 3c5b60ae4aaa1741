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
  /** Entries read ahead and handed to the engine (reads a write voided are not counted). */
  entries: number;
  /** Their bytes as pacing counts them: each entry's payload plus 32. */
  bytes: number;
  /** Milliseconds reads ahead waited on the pacing bucket, summed over reads. */
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
 * never paced).
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
  /** Aborted by close(): reads waiting on the pacing bucket give up. */
  private readonly closed = new AbortController();

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
    // Readable now if held (or to be read in place after a failure); otherwise not until the read ahead it starts arrives.
    return this.find(lo) !== undefined || this.failedAt === lo || !this.start(lo);
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    const segment = this.find(lo);
    if (segment === undefined) {
      if (this.failedAt === lo) this.failedAt = undefined;
      return this.store.entries(lo, hi, maxBytes);
    }
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo - segment.lo; i < segment.entries.length && lo + out.length < hi; i++) {
      const e = segment.entries[i] as Entry;
      if (out.length > 0 && bytes + e.data.length > maxBytes) break;
      out.push(e);
      bytes += e.data.length;
    }
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
    this.closed.abort();
    return this.store.close();
  }

  private find(lo: number): Segment | undefined {
    return this.segments.find((s) => lo >= s.lo && lo < s.lo + s.entries.length);
  }

  /** Starts reading ahead from `lo`; false when it cannot (a compaction in flight, nothing below the writes, too many reads). */
  private start(lo: number): boolean {
    if (this.reading.has(lo)) return true;
    let below = this.store.lastIndex() + 1;
    for (const w of this.inFlight) below = Math.min(below, w.from);
    const hi = Math.min(below, lo + this.limits.entries);
    if (lo >= hi || lo < this.store.firstIndex() || this.reading.size >= MAX_SEGMENTS) return false;
    const read: Read = { lo, hi, voided: false };
    this.reading.set(lo, read);
    void this.fetch(read);
    return true;
  }

  /** Reads ahead, waits for the pacing bucket, then holds the entries unless a write voided them meanwhile. */
  private async fetch(read: Read): Promise<void> {
    const { lo, hi } = read;
    let entries: Entry[];
    let bytes: number;
    try {
      entries = await this.store.readAhead(Index.of(lo), Index.of(hi), this.limits.bytes);
      bytes = pacedBytes(entries);
      // A read a write voided meanwhile is dropped below: it costs no pacing.
      if (!read.voided) this.stats.pacedMs += (await this.pacing?.take(bytes, this.closed.signal)) ?? 0;
    } catch {
      // Compacted meanwhile, or the store failed: the engine reads in place (where a failure surfaces).
      this.reading.delete(lo);
      if (this.closed.signal.aborted) return;
      if (!read.voided) this.failedAt = lo;
      this.onReadable();
      return;
    }
    this.reading.delete(lo);
    // A read voided by a write is dropped; the engine, woken all the same, asks again.
    if (!read.voided && entries[0]?.index === lo) {
      this.segments = [...this.segments.filter((s) => s.lo !== lo), { lo, entries }].slice(-MAX_SEGMENTS);
      this.stats.entries += entries.length;
      this.stats.bytes += bytes;
    }
    this.onReadable();
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

function pacedBytes(entries: readonly Entry[]): number {
  let bytes = entries.length * ENTRY_OVERHEAD_BYTES;
  for (const e of entries) bytes += e.data.length;
  return bytes;
}

function hasReadAhead(store: LogStore): store is LogStore & Required<Pick<LogStore, "readAhead">> {
  return typeof store.readAhead === "function";
}
