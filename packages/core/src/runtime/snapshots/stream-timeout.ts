import type { Clock } from "../../contracts/index.js";
import { RaftError } from "../../engine/index.js";

/**
 * Yields from `source` but fails with `Timeout` when no chunk arrives for
 * `ms`: transfers are timed on progress, never on total duration. `cancel`
 * is called on a stall so the underlying stream stops too. An abort of
 * `signal` ends the wait at once, whatever the source is doing.
 */
export async function* withProgressTimeout<T>(source: AsyncIterable<T>, ms: number, clock: Clock, cancel: () => void, signal?: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      let stop: () => void = () => {};
      const stalled = new Promise<never>((_, reject) => {
        const cancelTimer = clock.setTimeout(() => reject(new RaftError("Timeout", `no snapshot bytes for ${ms} ms`)), ms);
        const onAbort = () => reject(new RaftError("Aborted", "the transfer was aborted"));
        signal?.addEventListener("abort", onAbort, { once: true });
        stop = () => {
          cancelTimer();
          signal?.removeEventListener("abort", onAbort);
        };
        if (signal?.aborted === true) onAbort();
      });
      let next: IteratorResult<T>;
      try {
        next = await Promise.race([it.next(), stalled]);
      } catch (e) {
        cancel();
        throw e;
      } finally {
        stop();
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // Do not wait: a stuck source would hold up whoever is stopping.
    void Promise.resolve(it.return?.()).catch(() => {});
  }
}
