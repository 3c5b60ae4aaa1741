import type { LogStore, LogWrite } from "../../contracts/log-store.js";
import { Index, type Entry, type HardState, type Term } from "../../engine/index.js";

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

/** At most this many ranges read ahead at once, and held: one per lagging follower, about. */
const MAX_SEGMENTS = 4;

/**
 * A `LogStore` whose catch-up reads come from entries its store read off the
 * event loop (`LogStore.readAhead`), so a lagging follower never costs the
 * loop a storage read: the engine asks whether entries are `readable`; if not,
 * a read ahead starts and the engine waits until `onReadable` says they are
 * here. Each range served starts the read of the next, so a catch-up streams.
 *
 * What is held is only ever what the store holds: a read ahead covers only
 * entries below every write in flight and none while a compaction is, and any
 * write that reaches into what was read (a truncation, a reset) drops it all
 * and voids the reads still in flight.
 */
export class ReadAheadLog implements LogStore {
  private segments: Segment[] = [];
  /** Reads in flight, by their first index. */
  private readonly reading = new Set<number>();
  /** Bumped by every write that may change entries read ahead: reads started before it are dropped. */
  private generation = 0;
  /** First index touched by each write in flight (`Infinity` for none, 0 for a compaction). */
  private readonly inFlight = new Set<{ readonly from: number }>();
  /** A range whose read ahead failed: read it in place, once. */
  private failedAt: number | undefined;

  constructor(
    private readonly store: LogStore & Required<Pick<LogStore, "readAhead">>,
    private readonly limits: ReadAheadLimits,
    private readonly onReadable: () => void,
  ) {}

  /** `store` itself when it cannot read ahead. */
  static over(store: LogStore, limits: ReadAheadLimits, onReadable: () => void): LogStore {
    return hasReadAhead(store) ? new ReadAheadLog(store, limits, onReadable) : store;
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
    if (first <= this.heldEnd()) this.dropAll();
    return this.tracked(first, this.store.save(write));
  }

  compact(index: Index): Promise<void> {
    this.dropAll();
    return this.tracked(0, this.store.compact(index));
  }

  close(): Promise<void> {
    this.dropAll();
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
    const generation = this.generation;
    this.reading.add(lo);
    this.store.readAhead(Index.of(lo), Index.of(hi), this.limits.bytes).then(
      (entries) => {
        this.reading.delete(lo);
        // A read voided by a write is dropped; the engine, woken all the same, asks again.
        if (generation === this.generation && entries[0]?.index === lo) this.segments = [...this.segments.filter((s) => s.lo !== lo), { lo, entries }].slice(-MAX_SEGMENTS);
        this.onReadable();
      },
      () => {
        // Compacted meanwhile, or the store failed: the engine reads in place (where a failure surfaces).
        this.reading.delete(lo);
        if (generation === this.generation) this.failedAt = lo;
        this.onReadable();
      },
    );
    return true;
  }

  private heldEnd(): number {
    let end = -1;
    for (const s of this.segments) end = Math.max(end, s.lo + s.entries.length - 1);
    for (const lo of this.reading) end = Math.max(end, lo + this.limits.entries);
    return end;
  }

  private dropAll(): void {
    this.segments = [];
    this.generation++;
    this.failedAt = undefined;
  }

  private tracked(from: number, write: Promise<void>): Promise<void> {
    const token = { from };
    this.inFlight.add(token);
    const done = () => void this.inFlight.delete(token);
    write.then(done, done);
    return write;
  }
}

function hasReadAhead(store: LogStore): store is LogStore & Required<Pick<LogStore, "readAhead">> {
  return typeof store.readAhead === "function";
}
