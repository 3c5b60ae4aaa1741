import type { LogStore, LogWrite } from "../../contracts/index.js";
import type { Index } from "../../engine/index.js";
import { mergeWrites } from "./merge-writes.js";

/** How much one storage call may gather: a lone larger write still goes out whole. */
export interface GroupCommitLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

type Job =
  | { readonly kind: "save"; readonly write: LogWrite; readonly awaited: boolean; readonly done: () => void }
  | { readonly kind: "compact"; readonly index: Index }
  | { readonly kind: "then"; readonly run: () => void };

/** What the writer did so far. */
export interface LogWriterStats {
  /** Writes handed to the writer (one per Ready that had one). */
  writes: number;
  /** `LogStore.save` calls: one transaction and one sync each. */
  saves: number;
}

/**
 * Group commit. The driver's writes go to the store in order, one call at a
 * time; writes queued while a call is in flight go out together as the next
 * call (one transaction, one sync), up to the limits. Compactions and
 * callbacks keep their place in the order. A failed call stops the writer:
 * nothing after it runs, and `onError` hears of it once.
 */
export class LogWriter {
  readonly stats: LogWriterStats = { writes: 0, saves: 0 };
  private readonly queue: Job[] = [];
  private head = 0;
  private running = false;
  private failed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly log: LogStore,
    private readonly limits: GroupCommitLimits,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Queues a write; `done` runs once it (and everything before it) is
   * durable. `awaited`: a peer waits for it (see `LogWrite.awaited`); a
   * storage call that carries any awaited write is awaited.
   */
  save(write: LogWrite, done: () => void, awaited = false): void {
    this.stats.writes++;
    this.push({ kind: "save", write, awaited, done });
  }

  /** Queues a compaction after the writes queued so far. */
  compact(index: Index): void {
    this.push({ kind: "compact", index });
  }

  /** Runs `run` once every write queued so far is durable: now, if none is pending. */
  afterDurable(run: () => void): void {
    if (this.pending() || this.running) this.push({ kind: "then", run });
    else if (!this.failed) run();
  }

  /** Resolves once nothing is queued or in flight (or the writer failed). */
  idle(): Promise<void> {
    if (!this.running && !this.pending()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pending(): boolean {
    return this.head < this.queue.length;
  }

  private push(job: Job): void {
    if (this.failed) return;
    this.queue.push(job);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending() && !this.failed) {
        const job = this.queue[this.head] as Job;
        if (job.kind === "then") {
          this.head++;
          job.run();
        } else if (job.kind === "compact") {
          this.head++;
          await this.log.compact(job.index);
        } else {
          const batch = this.takeBatch();
          this.stats.saves++;
          const write = mergeWrites(batch.writes);
          await this.log.save(batch.awaited ? { ...write, awaited: true } : write);
          for (const j of batch.jobs) {
            if (j.kind === "save") j.done();
            else if (j.kind === "then") j.run();
          }
        }
        this.trim();
      }
    } catch (error) {
      this.failed = true;
      this.queue.length = 0;
      this.head = 0;
      this.onError(error);
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * The saves from the head of the queue, within the limits (at least one),
   * with the callbacks queued between them: those run once the batch is
   * durable, in their order. A compaction ends the batch.
   */
  private takeBatch(): { writes: LogWrite[]; jobs: Job[]; awaited: boolean } {
    const writes: LogWrite[] = [];
    const jobs: Job[] = [];
    let awaited = false;
    let entries = 0;
    let bytes = 0;
    while (this.pending()) {
      const job = this.queue[this.head] as Job;
      if (job.kind === "compact") break;
      if (job.kind === "save") {
        let jobBytes = 0;
        for (const e of job.write.entries) jobBytes += e.data.length;
        const over = entries + job.write.entries.length > this.limits.maxEntries || bytes + jobBytes > this.limits.maxBytes;
        if (writes.length > 0 && over) break;
        writes.push(job.write);
        awaited ||= job.awaited;
        entries += job.write.entries.length;
        bytes += jobBytes;
      }
      jobs.push(job);
      this.head++;
    }
    return { writes, jobs, awaited };
  }

  /** Drops finished jobs once they are most of the queue (no O(n) shift per job). */
  private trim(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
