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
    readonly clock: Clock,
  ) {
    this.tokens = bytesPerSecond;
    this.last = clock.now();
  }

  /** Resolves once `bytes` may be sent, with the milliseconds it waited. Unlimited when bytesPerSecond is 0. */
  async take(bytes: number, signal?: AbortSignal): Promise<number> {
    if (this.bytesPerSecond <= 0) return 0;
    this.spend(bytes);
    if (this.tokens >= 0) return 0;
    const waitMs = Math.ceil((-this.tokens / this.bytesPerSecond) * 1000);
    await abortableDelay(this.clock, waitMs, signal);
    return waitMs;
  }

  /** Bytes that may be spent now without waiting (Infinity when unlimited). */
  available(): number {
    if (this.bytesPerSecond <= 0) return Infinity;
    this.refill();
    return Math.max(0, this.tokens);
  }

  /** Milliseconds until `bytes` may be spent (a full bucket, for more than it holds); 0 when they may now. */
  waitMs(bytes: number): number {
    if (this.bytesPerSecond <= 0) return 0;
    this.refill();
    const missing = Math.min(bytes, this.bytesPerSecond) - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing / this.bytesPerSecond) * 1000);
  }

  /** Spends `bytes` now, whatever is left: what was paid for is handed out, not waited on. */
  spend(bytes: number): void {
    if (this.bytesPerSecond <= 0) return;
    this.refill();
    this.tokens -= bytes;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
    this.last = now;
  }
}
