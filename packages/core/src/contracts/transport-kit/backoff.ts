/**
 * Reconnection backoff shared by the network transports: how long a link
 * waits before it dials a peer again after a failed attempt or a lost
 * connection.
 *
 * Delays double from `minMs` up to a low cap, `maxMs`, so that a peer whose
 * link heals is dialed again within `maxMs` however long it was away. Each
 * delay is drawn from the upper half of its ceiling, [d/2, d] ("equal
 * jitter"), and never below `minMs`, so nodes that lost the same peer at the
 * same instant do not all call it back in step. `reset()` starts over from
 * `minMs`: transports call it on any sign of life from the peer.
 */
export class Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.minMs = options.minMs ?? RECONNECT_DEFAULTS.minDelayMs;
    this.maxMs = options.maxMs ?? Math.max(this.minMs, RECONNECT_DEFAULTS.maxDelayMs);
    this.random = options.random ?? Math.random;
    if (!(Number.isFinite(this.minMs) && this.minMs >= 0 && this.maxMs >= this.minMs && Number.isFinite(this.maxMs))) {
      throw new RangeError(`Backoff: need 0 <= minMs <= maxMs (got ${this.minMs}, ${this.maxMs})`);
    }
  }

  /** Delays handed out since the last `reset()`. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt, in whole ms; each call doubles the ceiling, up to `maxMs`. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    const drawn = ceiling / 2 + (Math.min(Math.max(this.random(), 0), 1) * ceiling) / 2;
    return Math.round(Math.min(this.maxMs, Math.max(this.minMs, drawn)));
  }

  /** The peer showed signs of life (or a call succeeded): the next delay is `minMs` again. */
  reset(): void {
    this.failures = 0;
  }
}

export interface BackoffOptions {
  /** The shortest delay, and the first. Default `RECONNECT_DEFAULTS.minDelayMs`. */
  readonly minMs?: number;
  /** The cap. Default `RECONNECT_DEFAULTS.maxDelayMs`, or `minMs` if that is larger. */
  readonly maxMs?: number;
  /** A source of numbers in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Defaults of every transport's `reconnect` option. The cap is low on
 * purpose: a node whose link comes back must be dialed again well within an
 * election timeout, not seconds later. A failed dial to a live host costs a
 * refused TCP connection, so two attempts a second per peer are cheap.
 */
export const RECONNECT_DEFAULTS = { minDelayMs: 100, maxDelayMs: 500 } as const;

/** Bounds of every transport's `reconnect` option (integers, ms; `maxDelayMs` also at least `minDelayMs`); see `reconnectSchema`. */
export const RECONNECT_LIMITS = { minDelayMs: { min: 1, max: 60_000 }, maxDelayMs: { min: 1, max: 600_000 } } as const;
