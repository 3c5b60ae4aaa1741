import type { Logger } from "../logger.js";

interface ReasonState {
  count: number;
  suppressed: number;
  lastLoggedAt: number | undefined;
  flush: ReturnType<typeof setTimeout> | undefined;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Logs events by reason, at most one line per reason per interval, so a
 * flood of bad frames or refused connections costs a few log lines. Lines
 * left out are counted and reported in the reason's next line
 * (`suppressed`), or in a summary line (`summary: true`) once the interval is over; each line
 * also carries the reason's running `total`. Reasons must come from a fixed
 * set (never from peer input): they key the counters, so memory stays bounded.
 */
export class RateLimitedLog<Reason extends string> {
  private readonly reasons = new Map<Reason, ReasonState>();
  private closed = false;

  constructor(
    private readonly logger: Logger,
    /** The line's message and level, by reason. */
    private readonly describe: (reason: Reason) => { readonly message: string; readonly level: LogLevel },
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  record(reason: Reason, fields: Record<string, unknown> = {}): void {
    let s = this.reasons.get(reason);
    if (s === undefined) {
      s = { count: 0, suppressed: 0, lastLoggedAt: undefined, flush: undefined };
      this.reasons.set(reason, s);
    }
    s.count++;
    if (this.closed) return;
    const t = this.now();
    if (s.lastLoggedAt === undefined || t - s.lastLoggedAt >= this.intervalMs) {
      this.write(reason, s, t, fields);
      return;
    }
    s.suppressed++;
    if (s.flush === undefined) {
      s.flush = setTimeout(() => this.flush(reason), Math.max(0, s.lastLoggedAt + this.intervalMs - t));
      s.flush.unref?.();
    }
  }

  /** Events per reason since the start. */
  counts(): Partial<Record<Reason, number>> {
    const out: Partial<Record<Reason, number>> = {};
    for (const [reason, s] of this.reasons) out[reason] = s.count;
    return out;
  }

  get total(): number {
    let n = 0;
    for (const s of this.reasons.values()) n += s.count;
    return n;
  }

  /** Stops the summary timers; later events are still counted, not logged. */
  close(): void {
    this.closed = true;
    for (const s of this.reasons.values()) {
      if (s.flush !== undefined) clearTimeout(s.flush);
      s.flush = undefined;
    }
  }

  private flush(reason: Reason): void {
    const s = this.reasons.get(reason);
    if (s === undefined) return;
    s.flush = undefined;
    if (s.suppressed > 0 && !this.closed) this.write(reason, s, this.now(), { summary: true });
  }

  private write(reason: Reason, s: ReasonState, t: number, fields: Record<string, unknown>): void {
    if (s.flush !== undefined) clearTimeout(s.flush);
    s.flush = undefined;
    const { message, level } = this.describe(reason);
    this.logger[level](message, { reason, ...fields, suppressed: s.suppressed, total: s.count });
    s.suppressed = 0;
    s.lastLoggedAt = t;
  }
}
