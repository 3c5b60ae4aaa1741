import type { Clock } from "../../contracts/index.js";

/**
 * Resolves after `ms` on `clock`, or rejects with the signal's reason as soon
 * as it aborts (a stopping node must not wait for a timer that may never fire).
 */
export function abortableDelay(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
