import type { Clock } from "../contracts/index.js";

/** Wall time through Node's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  defer: (fn) => setImmediate(fn),
};
