import { drainMicrotasks, type SimClock } from "./sim-clock.js";

/**
 * How a `TestCluster` lets time pass: by firing a `SimClock`'s timers (every
 * promise they start settles before the next one fires), or on the system
 * clock by waiting and polling.
 */
export interface ClusterTime {
  readonly simulated: boolean;
  /** Lets `ms` pass. */
  run(ms: number): Promise<void>;
  /** Resolves once `done()` holds; rejects after `ms`. */
  until(done: () => boolean, ms: number, what: string): Promise<void>;
  /** `p`'s outcome, rejecting if it has none after `ms`. */
  settle<T>(p: Promise<T>, ms: number): Promise<T>;
}

export function simulatedTime(clock: SimClock): ClusterTime {
  const until = async (done: () => boolean, ms: number, what: string) => {
    const end = clock.now() + ms;
    while (!done()) {
      if (!clock.fireNext(end)) throw new Error(`${what} not met within ${ms} simulated ms`);
      await drainMicrotasks();
    }
  };
  return {
    simulated: true,
    async run(ms) {
      const end = clock.now() + ms;
      while (clock.fireNext(end)) await drainMicrotasks();
      clock.advanceTo(end);
      await drainMicrotasks();
    },
    until,
    async settle(p, ms) {
      let done = false;
      const tracked = p.finally(() => (done = true));
      tracked.catch(() => {});
      await until(() => done, ms, "settling a promise");
      return tracked;
    },
  };
}

export function realTime(pollMs = 5): ClusterTime {
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  return {
    simulated: false,
    run: sleep,
    async until(done, ms, what) {
      const end = Date.now() + ms;
      while (!done()) {
        if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
        await sleep(pollMs);
      }
    },
    async settle(p, ms) {
      p.catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms)));
      try {
        return await Promise.race([p, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
