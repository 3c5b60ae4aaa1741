import type { Clock, LogStore, LogWrite } from "../contracts/index.js";
import type { Prng } from "../engine/index.js";
import { Index, RaftError, type Entry, type HardState, type Term } from "../engine/index.js";
import type { MemoryLog } from "../contracts/memory-log.js";

/**
 * A `LogStore` for the simulator whose writes become durable only after a
 * simulated fsync delay. `crash()` loses every write not yet durable, exactly
 * what a power cut does; the `MemoryLog` behind it is what survives.
 */
export class SimLogStore implements LogStore {
  private crashed = false;
  /** Writes issued before this time complete no earlier than it (a stalled disk). */
  private stalledUntil = 0;
  private readonly pending = new Set<(error: Error) => void>();

  /** Called with each write as it becomes durable (the simulator checks log matching there). */
  onDurable: (write: LogWrite) => void = () => {};

  /** Present when the store reads ahead (`readAheadMaxMs` given): the range is read as it is when the read completes. */
  readonly readAhead?: (lo: Index, hi: Index, maxBytes: number) => Promise<Entry[]>;

  /**
   * @param maxFsyncMs writes become durable after 0 to this many ms.
   * @param readAheadMaxMs when given, `readAhead` reads entries after 0 to this many ms, as the log then is (or rejects if they were compacted meanwhile).
   */
  constructor(
    readonly durable: MemoryLog,
    private readonly clock: Clock,
    private readonly prng: Prng,
    private readonly maxFsyncMs = 3,
    readAheadMaxMs?: number,
  ) {
    if (readAheadMaxMs !== undefined) this.readAhead = (lo, hi, maxBytes) => this.readLater(lo, hi, maxBytes, readAheadMaxMs);
  }

  firstIndex(): Index {
    return this.durable.firstIndex();
  }
  lastIndex(): Index {
    return this.durable.lastIndex();
  }
  term(index: Index): Term {
    return this.durable.term(index);
  }
  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    return this.durable.entries(lo, hi, maxBytes);
  }

  private readLater(lo: Index, hi: Index, maxBytes: number, maxMs: number): Promise<Entry[]> {
    return new Promise((resolve, reject) => {
      this.clock.setTimeout(
        () => {
          if (this.crashed) reject(new RaftError("Stopped", "the store crashed"));
          else {
            try {
              resolve(this.durable.entries(lo, Index.of(Math.min(hi, this.durable.lastIndex() + 1)), maxBytes));
            } catch (error) {
              reject(error);
            }
          }
        },
        this.prng.int(0, maxMs + 1),
      );
    });
  }

  async loadHardState(): Promise<HardState> {
    return this.durable.hardState;
  }

  save(write: LogWrite): Promise<void> {
    if (this.crashed) return Promise.reject(new RaftError("Stopped", "the store crashed"));
    return new Promise((resolve, reject) => {
      this.pending.add(reject);
      this.clock.setTimeout(
        () => {
          if (!this.pending.delete(reject)) return;
          if (write.reset !== undefined) this.durable.reset(write.reset.index, write.reset.term);
          this.durable.append(write.entries);
          if (write.hardState !== undefined) this.durable.hardState = write.hardState;
          this.onDurable(write);
          resolve();
        },
        Math.max(0, this.stalledUntil - this.clock.now()) + this.prng.int(0, this.maxFsyncMs + 1),
      );
    });
  }

  /** The disk stalls for `ms`: writes issued meanwhile complete only after it (a crash loses them). */
  stall(ms: number): void {
    this.stalledUntil = Math.max(this.stalledUntil, this.clock.now() + ms);
  }

  async compact(index: Index): Promise<void> {
    if (!this.crashed) this.durable.compact(index);
  }

  /** Loses every write in flight; later writes fail. */
  crash(): void {
    this.crashed = true;
    for (const reject of this.pending) reject(new RaftError("Stopped", "the store crashed"));
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.crashed = true;
  }
}
