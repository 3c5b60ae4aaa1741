import type { Clock } from "../contracts/index.js";
import { abortableDelay } from "./snapshots/abortable-delay.js";

/**
 * Limits bytes per second. Up to one second's worth may be spent at once
 * (the burst); beyond that, `take` waits on the clock until tokens refill.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly bytesPerSecond: number,
    private readonly clock: Clock,
  ) {
    this.tokens = bytesPerSecond;
    this.last = clock.now();
  }

  /** Resolves once `bytes` may be sent, with the milliseconds it waited. Unlimited when bytesPerSecond is 0. */
  async take(bytes: number, signal?: AbortSignal): Promise<number> {
    if (this.bytesPerSecond <= 0) return 0;
    this.refill();
    this.tokens -= bytes;
    if (this.tokens >= 0) return 0;
    const waitMs = Math.ceil((-this.tokens / this.bytesPerSecond) * 1000);
    await abortableDelay(this.clock, waitMs, signal);
    return waitMs;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
    this.last = now;
  }
}
