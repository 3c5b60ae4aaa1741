// Times a LogStore's reads on the main thread (`entries`), grouped in bursts:
// the calls made before the event loop reaches its next check phase, which is
// where the runtime starts its next Ready, and counts the entries it read
// ahead off the main thread. Every call still goes to the store.
import { performance } from "node:perf_hooks";
import type { LogStore } from "@raft/core/contracts";
import type { ReadStats } from "./protocol.js";

export class ReadMeter {
  private stats = ReadMeter.empty();
  private burst: { ms: number; entries: number } | undefined;

  static empty(): ReadStats {
    return { calls: 0, entries: 0, aheadEntries: 0, ms: 0, bursts: 0, maxBurstMs: 0, maxBurstEntries: 0, burstsOver20Ms: 0, burstsOver50Ms: 0 };
  }

  /** `log` with its reads timed; with `readAhead` false, the store's reads off the main thread are hidden from the runtime. */
  wrap(log: LogStore, readAhead = true): LogStore {
    const ahead = readAhead ? log.readAhead?.bind(log) : undefined;
    return {
      ...(ahead === undefined
        ? {}
        : {
            readAhead: async (lo, hi, maxBytes) => {
              const out = await ahead(lo, hi, maxBytes);
              this.stats.aheadEntries += out.length;
              return out;
            },
          }),
      firstIndex: () => log.firstIndex(),
      lastIndex: () => log.lastIndex(),
      term: (index) => log.term(index),
      entries: (lo, hi, maxBytes) => {
        const start = performance.now();
        const out = log.entries(lo, hi, maxBytes);
        this.record(performance.now() - start, out.length);
        return out;
      },
      loadHardState: () => log.loadHardState(),
      save: (write) => log.save(write),
      compact: (index) => log.compact(index),
      close: () => log.close(),
    };
  }

  /** The reads since the last `take()`. */
  take(): ReadStats {
    this.close();
    const out = this.stats;
    this.stats = ReadMeter.empty();
    return out;
  }

  private record(ms: number, entries: number): void {
    this.stats.calls++;
    this.stats.entries += entries;
    this.stats.ms += ms;
    if (this.burst === undefined) {
      this.burst = { ms: 0, entries: 0 };
      setImmediate(() => this.close());
    }
    this.burst.ms += ms;
    this.burst.entries += entries;
  }

  private close(): void {
    const b = this.burst;
    if (b === undefined) return;
    this.burst = undefined;
    const s = this.stats;
    s.bursts++;
    s.maxBurstMs = Math.max(s.maxBurstMs, b.ms);
    s.maxBurstEntries = Math.max(s.maxBurstEntries, b.entries);
    if (b.ms > 20) s.burstsOver20Ms++;
    if (b.ms > 50) s.burstsOver50Ms++;
  }
}
