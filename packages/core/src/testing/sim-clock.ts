import type { Clock } from "../contracts/index.js";

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time. Timers fire only when the owner advances the clock, in
 * (time, creation) order, so a run is a pure function of its inputs.
 */
export class SimClock implements Clock {
  private time = 0;
  private seq = 0;
  private heap: Timer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const t: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(t);
    return () => {
      t.cancelled = true;
    };
  }

  /** Time of the next live timer, or undefined. */
  nextAt(): number | undefined {
    while (this.heap.length > 0 && (this.heap[0] as Timer).cancelled) this.pop();
    return this.heap[0]?.at;
  }

  /**
   * Moves time to the next timer and fires every timer due then (timers they
   * create for the same instant fire too). Returns false when none is left or
   * the next is after `limit`.
   */
  fireNext(limit = Infinity): boolean {
    const at = this.nextAt();
    if (at === undefined || at > limit) return false;
    this.time = at;
    while (this.heap.length > 0 && (this.heap[0] as Timer).at === at) {
      const t = this.pop() as Timer;
      if (!t.cancelled) t.fn();
    }
    return true;
  }

  /** Fires every timer up to `time` (microtasks are not drained in between), then sets the clock to it. */
  advanceTo(time: number): void {
    while (this.fireNext(time));
    this.time = Math.max(this.time, time);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i] as Timer, h[p] as Timer)) break;
      [h[i], h[p]] = [h[p] as Timer, h[i] as Timer];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l] as Timer, h[m] as Timer)) m = l;
        if (r < h.length && before(h[r] as Timer, h[m] as Timer)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as Timer, h[i] as Timer];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Resolves after every queued microtask (and the promise chains they start) has run. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
