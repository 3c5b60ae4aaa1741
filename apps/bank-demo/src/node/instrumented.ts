import type { Command, LogStore, LogWrite, StateMachine } from "@raft/core/contracts";

type Observe = (seconds: number) => void;

/**
 * The log store, timing each durable write (one per Ready: entries, hard state, fsync) and
 * counting it with `synced`. Every call goes to `log` itself.
 */
export function timedLog(log: LogStore, observe: Observe, synced: () => void): LogStore {
  return {
    firstIndex: () => log.firstIndex(),
    lastIndex: () => log.lastIndex(),
    term: (index) => log.term(index),
    entries: (lo, hi, maxBytes) => log.entries(lo, hi, maxBytes),
    loadHardState: () => log.loadHardState(),
    async save(write: LogWrite): Promise<void> {
      const start = process.hrtime.bigint();
      await log.save(write);
      observe(Number(process.hrtime.bigint() - start) / 1e9);
      // Every save syncs today; a save that skips the sync must not count.
      synced();
    },
    compact: (index) => log.compact(index),
    close: () => log.close(),
  };
}

/** The state machine, timing each batch of applied commands. */
export function timedStateMachine<R>(sm: StateMachine<R>, observe: Observe): StateMachine<R> {
  return {
    apply(commands: readonly Command[]) {
      const start = process.hrtime.bigint();
      const results = sm.apply(commands);
      const done = () => observe(Number(process.hrtime.bigint() - start) / 1e9);
      if (results instanceof Promise) return results.finally(done);
      done();
      return results;
    },
    snapshot: () => sm.snapshot(),
    restore: (meta, files) => sm.restore(meta, files),
  };
}
