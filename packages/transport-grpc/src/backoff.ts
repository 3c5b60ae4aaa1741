/**
 * Reconnection delays: exponential from `minMs` to `maxMs`, each drawn from
 * [d/2, d] ("equal jitter") so peers that lost a node at the same instant do
 * not all call it back in step.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call doubles the ceiling. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** After a success: start again from `minMs`. */
  reset(): void {
    this.attempt = 0;
  }
}
