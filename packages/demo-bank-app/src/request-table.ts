import type { Index } from "@raft/core/contracts";
import { CopyOnWrite, type FrozenRange } from "./copy-on-write.js";
import type { RecordedOutcome } from "./result.js";

/** A request the table remembers: its id, where it was applied, what it answered, and a digest of the command. */
export interface RequestEntry {
  readonly requestId: string;
  readonly index: Index;
  readonly outcome: RecordedOutcome;
  readonly digest: number;
}

/** The remembered requests as they were when frozen, oldest first. */
export interface FrozenRequests {
  readonly count: number;
  at(i: number): RequestEntry;
  release(): void;
}

/**
 * The client-session table (Raft thesis §6.3): the latest `capacity` executed
 * requests, in apply order. It is a ring: the entry recorded `capacity`
 * records ago is evicted by the next one, so eviction depends only on the
 * order of applied commands, never on time. Entries are immutable; a frozen
 * view saves the entries overwritten while it is held.
 */
export class RequestTable {
  private readonly slots: RequestEntry[] = [];
  private readonly byId = new Map<string, RequestEntry>();
  /** Entries ever recorded; the next one gets this sequence number. */
  private recorded = 0;
  private readonly cow = new CopyOnWrite<RequestEntry>();

  constructor(readonly capacity: number) {}

  get count(): number {
    return this.byId.size;
  }

  /** Frozen views still held (diagnostics and tests). */
  get frozenViews(): number {
    return this.cow.held;
  }

  get(requestId: string): RequestEntry | undefined {
    return this.byId.get(requestId);
  }

  /** Records a request whose id the table does not hold, evicting the oldest when full. */
  remember(entry: RequestEntry): void {
    const seq = this.recorded++;
    if (seq < this.capacity) {
      this.slots.push(entry);
    } else {
      const slot = seq % this.capacity;
      const evicted = this.slots[slot] as RequestEntry;
      this.cow.beforeOverwrite(seq - this.capacity, evicted);
      this.byId.delete(evicted.requestId);
      this.slots[slot] = entry;
    }
    this.byId.set(entry.requestId, entry);
  }

  /** Live entries, oldest first. */
  *entries(): Generator<RequestEntry> {
    const first = Math.max(0, this.recorded - this.capacity);
    for (let seq = first; seq < this.recorded; seq++) yield this.slots[seq % this.capacity] as RequestEntry;
  }

  /** A frozen view of the entries now, oldest first; release it when read. */
  freeze(): FrozenRequests {
    const range: FrozenRange<RequestEntry> = this.cow.freeze(Math.max(0, this.recorded - this.capacity), this.recorded);
    const { slots, capacity, cow } = this;
    return {
      count: range.end - range.start,
      at: (i) => {
        const seq = range.start + i;
        return range.read(seq, slots[seq % capacity] as RequestEntry);
      },
      release: () => cow.release(range),
    };
  }
}
