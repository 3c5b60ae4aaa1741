import type { Logger } from "@raft/core/contracts";

interface ReasonState {
  loggedAt: number;
  suppressed: number;
}

/**
 * Logs rejections at most once per reason per interval, so a flood of junk
 * costs a few log lines: each line carries how many of the same reason were
 * suppressed since the previous one. Reasons are a fixed set, so memory stays bounded.
 */
export class RejectionLog {
  private readonly reasons = new Map<string, ReasonState>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = () => performance.now(),
    private readonly intervalMs = 1000,
  ) {}

  record(message: string, reason: string, fields: Record<string, unknown>): void {
    const t = this.now();
    const state = this.reasons.get(reason);
    if (state !== undefined && t - state.loggedAt < this.intervalMs) {
      state.suppressed++;
      return;
    }
    this.logger.warn(message, { reason, ...fields, suppressed: state?.suppressed ?? 0 });
    this.reasons.set(reason, { loggedAt: t, suppressed: 0 });
  }
}
