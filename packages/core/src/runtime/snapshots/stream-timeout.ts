import type { Clock } from "../../contracts/index.js";
import { RaftError } from "../../engine/index.js";

/**
 * Yields from `source` but fails with `Timeout` when no chunk arrives for
 * `ms`: transfers are timed on progress, never on total duration. `cancel`
 * is called on a stall so the underlying stream stops too.
 */
export async function* withProgressTimeout<T>(source: AsyncIterable<T>, ms: number, clock: Clock, cancel: () => void): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      let stop: () => void = () => {};
      const stalled = new Promise<never>((_, reject) => {
        stop = clock.setTimeout(() => reject(new RaftError("Timeout", `no snapshot bytes for ${ms} ms`)), ms);
      });
      let next: IteratorResult<T>;
      try {
        next = await Promise.race([it.next(), stalled]);
      } catch (e) {
        if (isRaftTimeout(e)) cancel();
        throw e;
      } finally {
        stop();
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    void it.return?.();
  }
}

function isRaftTimeout(e: unknown): boolean {
  return e instanceof RaftError && e.code === "Timeout";
}
