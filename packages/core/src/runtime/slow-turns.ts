import type { Clock, Logger } from "../contracts/index.js";
import type { Ready } from "../engine/index.js";

/**
 * Warns when one step of the node's loop holds the event loop too long,
 * naming what it was doing: nothing else (sockets, timers, HTTP) runs meanwhile.
 */
export class SlowTurns {
  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly limitMs: number,
    private readonly nodeId: number,
  ) {}

  /** Times `fn`, a step described by `what` (called only when the step was slow). */
  time<T>(what: () => string, fn: () => T): T {
    const started = this.clock.now();
    const result = fn();
    this.check(started, what);
    return result;
  }

  /** The step that began at `started` has ended. */
  check(started: number, what: () => string): void {
    const ms = this.clock.now() - started;
    if (ms > this.limitMs) this.logger.warn("raft loop turn was slow", { id: this.nodeId, ms: Math.round(ms), limitMs: this.limitMs, doing: what() });
  }
}

/** What carrying out `ready` involved, in a few words. */
export function describeReady(ready: Ready): string {
  const parts: string[] = [];
  const w = ready.write;
  if (w !== undefined) parts.push(`writing ${w.entries.length} entries${w.reset === undefined ? "" : " after a log reset"}`);
  const messages = ready.messages.length + ready.messagesAfterWrite.length;
  if (messages > 0) {
    let entries = 0;
    for (const m of ready.messages) if (m.type === "Append") entries += m.entries.length;
    parts.push(`sending ${messages} messages with ${entries} entries`);
  }
  if (ready.committed.length > 0) parts.push(`applying ${ready.committed.length} entries`);
  if (ready.compactTo !== undefined) parts.push(`compacting the log to ${ready.compactTo}`);
  if (ready.installSnapshot !== undefined) parts.push(`starting to install snapshot ${ready.installSnapshot.meta.index}`);
  return `carrying out a Ready: ${parts.join(", ") || "nothing"}`;
}
