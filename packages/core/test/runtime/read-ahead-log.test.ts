import { describe, expect, it } from "vitest";
import { MemoryLog, type LogStore, type LogWrite } from "../../src/contracts/index.js";
import { Index, Term, type Entry } from "../../src/engine/index.js";
import { ReadAheadLog } from "../../src/runtime/storage/read-ahead-log.js";
import { TokenBucket } from "../../src/runtime/token-bucket.js";
import { SimClock } from "../../src/testing/sim-clock.js";

const entry = (i: number, term = 1): Entry => ({ index: Index.of(i), term: Term.of(term), kind: "normal", data: new Uint8Array(10) });
const range = (lo: number, hi: number, term = 1) => Array.from({ length: hi - lo + 1 }, (_, k) => entry(lo + k, term));

/** A store over a MemoryLog whose reads ahead and writes complete when the test says so. */
function controlledStore(entries: number) {
  const log = new MemoryLog();
  log.append(range(1, entries));
  const reads: { lo: number; hi: number; finish(): void; fail(error: Error): void }[] = [];
  const writes: { write: LogWrite; finish(): void }[] = [];
  let syncReads = 0;
  const store: LogStore = {
    firstIndex: () => log.firstIndex(),
    lastIndex: () => log.lastIndex(),
    term: (i) => log.term(i),
    entries: (lo, hi, maxBytes) => {
      syncReads++;
      return log.entries(lo, hi, maxBytes);
    },
    loadHardState: async () => log.hardState,
    save: (write) =>
      new Promise((resolve) =>
        writes.push({
          write,
          finish() {
            if (write.reset !== undefined) log.reset(write.reset.index, write.reset.term);
            log.append(write.entries);
            resolve();
          },
        }),
      ),
    compact: async (index) => log.compact(index),
    close: async () => {},
    readAhead: (lo, hi, maxBytes) =>
      new Promise((resolve, reject) =>
        reads.push({
          lo,
          hi,
          finish: () => {
            try {
              resolve(log.entries(lo, hi, maxBytes));
            } catch (error) {
              reject(error);
            }
          },
          fail: reject,
        }),
      ),
  };
  return { store, reads, writes, syncReads: () => syncReads };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A log paced at `bytesPerSecond` over a controlled store, holding entries [1, 9) read ahead (each counts 10 + 32 bytes). */
async function pacedLog(bytesPerSecond: number) {
  const controlled = controlledStore(100);
  const clock = new SimClock();
  let woken = 0;
  const log = ReadAheadLog.over(controlled.store, { entries: 8, bytes: 1 << 20 }, () => woken++, new TokenBucket(bytesPerSecond, clock));
  expect(log.readable?.(Index.of(1))).toBe(false);
  controlled.reads[0]?.finish();
  await settle();
  return { ...controlled, clock, log, woken: () => woken };
}

describe("ReadAheadLog", () => {
  it("leaves a store that cannot read ahead as it is", () => {
    const store: LogStore = { ...controlledStore(1).store, readAhead: undefined };
    expect(ReadAheadLog.over(store, { entries: 8, bytes: 1 << 20 }, () => {})).toBe(store);
  });

  it("makes the engine wait while it reads ahead, serves what it read, and streams the next range", async () => {
    const { store, reads, syncReads } = controlledStore(100);
    let woken = 0;
    const log = ReadAheadLog.over(store, { entries: 8, bytes: 1 << 20 }, () => woken++);
    expect(log.readable?.(Index.of(1))).toBe(false);
    expect(reads.map((r) => [r.lo, r.hi])).toEqual([[1, 9]]);
    expect(log.readable?.(Index.of(1)), "one read per range").toBe(false);
    expect(reads).toHaveLength(1);
    reads[0]?.finish();
    await settle();
    expect(woken).toBe(1);
    expect(log.readable?.(Index.of(1))).toBe(true);
    expect(log.entries(Index.of(1), Index.of(5), Infinity).map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(log.entries(Index.of(5), Index.of(50), Infinity).map((e) => e.index)).toEqual([5, 6, 7, 8]);
    expect(syncReads(), "nothing read on the caller's thread").toBe(0);
    // Serving the last of a range starts the next.
    expect(reads.map((r) => [r.lo, r.hi])).toEqual([
      [1, 9],
      [9, 17],
    ]);
  });

  it("reads ahead only below the writes in flight, and a write that reaches into what was read voids it", async () => {
    const { store, reads, writes } = controlledStore(20);
    let woken = 0;
    const log = ReadAheadLog.over(store, { entries: 8, bytes: 1 << 20 }, () => woken++);
    void log.save({ entries: [entry(21)] });
    void log.save({ entries: range(15, 16, 2) });
    expect(log.readable?.(Index.of(10))).toBe(false);
    expect(
      reads.map((r) => [r.lo, r.hi]),
      "clamped below the truncation in flight",
    ).toEqual([[10, 15]]);
    expect(log.readable?.(Index.of(15)), "nothing to read below the writes: read in place").toBe(true);
    // A later write truncating at 12 voids the read in flight: what it returns is dropped, the engine is woken to ask again.
    void log.save({ entries: range(12, 13, 3) });
    reads[0]?.finish();
    await settle();
    expect(woken).toBe(1);
    expect(log.readable?.(Index.of(10))).toBe(false);
    expect(reads.map((r) => [r.lo, r.hi])[1], "now below the truncation at 12").toEqual([10, 12]);
    for (const w of writes) w.finish();
    await settle();
    reads[1]?.finish();
    await settle();
    expect(log.entries(Index.of(10), Index.of(14), Infinity).map((e) => [e.index, e.term])).toEqual([
      [10, 1],
      [11, 1],
    ]);
    // With the writes done, the next range reads the new entries.
    expect(reads.map((r) => [r.lo, r.hi])[2]).toEqual([12, 14]);
    reads[2]?.finish();
    await settle();
    expect(log.entries(Index.of(12), Index.of(14), Infinity).map((e) => [e.index, e.term])).toEqual([
      [12, 3],
      [13, 3],
    ]);
  });

  it("drops what a compaction voids, and reads in place, once, where a read ahead failed", async () => {
    const { store, reads, syncReads } = controlledStore(50);
    let woken = 0;
    const log = ReadAheadLog.over(store, { entries: 8, bytes: 1 << 20 }, () => woken++);
    expect(log.readable?.(Index.of(3))).toBe(false);
    await log.compact(Index.of(5));
    reads[0]?.finish();
    await settle();
    expect(woken, "the voided read wakes the engine to ask again").toBe(1);
    expect(log.readable?.(Index.of(3)), "below the compaction: nothing to read ahead").toBe(true);
    expect(log.readable?.(Index.of(6))).toBe(false);
    reads[1]?.fail(new Error("disk on fire"));
    await settle();
    expect(woken).toBe(2);
    expect(log.readable?.(Index.of(6)), "after a failure the engine reads in place").toBe(true);
    expect(log.entries(Index.of(6), Index.of(8), Infinity).map((e) => e.index)).toEqual([6, 7]);
    expect(syncReads()).toBe(1);
    expect(log.readable?.(Index.of(6)), "once: the next ask reads ahead again").toBe(false);
  });

  it("keeps what an append after it or a compaction below it leaves untouched", async () => {
    const { store, reads, writes, syncReads } = controlledStore(40);
    const log = ReadAheadLog.over(store, { entries: 8, bytes: 1 << 20 }, () => {});
    expect(log.readable?.(Index.of(10))).toBe(false);
    expect(log.readable?.(Index.of(30))).toBe(false);
    // New entries at the end, then a compaction through 9: neither touches [10, 18) or [30, 38).
    void log.save({ entries: [entry(41)] });
    void log.compact(Index.of(9));
    for (const w of writes) w.finish();
    for (const r of reads) r.finish();
    await settle();
    expect(log.readable?.(Index.of(10))).toBe(true);
    expect(log.readable?.(Index.of(30))).toBe(true);
    // A compaction through 12 removes part of the first range: it goes, the second stays.
    void log.compact(Index.of(12));
    await settle();
    expect(log.readable?.(Index.of(13)), "read again from the new first index").toBe(false);
    expect(reads.map((r) => [r.lo, r.hi]).at(-1)).toEqual([13, 21]);
    expect(log.entries(Index.of(30), Index.of(38), Infinity).map((e) => e.index)).toEqual([30, 31, 32, 33, 34, 35, 36, 37]);
    expect(syncReads(), "served from what was read ahead").toBe(0);
  });

  it("paces what it hands out: entries go once paid for, a burst's worth at once, never more than the bucket holds", async () => {
    // Each entry counts 10 payload bytes + 32 = 42; 500 B/s holds at most 500.
    const { reads, clock, log, woken } = await pacedLog(500);
    expect(log.readable?.(Index.of(1)), "within the burst: at once").toBe(true);
    expect(log.entries(Index.of(1), Index.of(17), Infinity)).toHaveLength(8);
    reads[1]?.finish();
    await settle();
    expect(woken()).toBe(2);
    expect(log.readable?.(Index.of(9)), "164 bytes left: some of the next range").toBe(true);
    expect(
      log.entries(Index.of(9), Index.of(17), Infinity).map((e) => e.index),
      "as many as 164 bytes pay for",
    ).toEqual([9, 10, 11]);
    expect(log.readable?.(Index.of(12)), "38 bytes left: held back").toBe(false);
    expect(reads, "no second read of a range held back").toHaveLength(2);
    clock.advanceTo(7);
    await settle();
    expect(log.readable?.(Index.of(12))).toBe(false);
    clock.advanceTo(8);
    await settle();
    expect(woken(), "woken once the next entry is paid for").toBe(3);
    expect(log.entries(Index.of(12), Index.of(17), Infinity).map((e) => e.index)).toEqual([12]);
    expect((log as ReadAheadLog).stats).toEqual({ entries: 12, bytes: 504, pacedMs: 8 });
  });

  it("charges pacing only for what it hands out: a range read ahead and voided costs nothing", async () => {
    const { reads, writes, log } = await pacedLog(336);
    // A new leader's entries replace the log from 1: what was read is dropped unserved.
    void log.save({ entries: range(1, 8, 2) });
    writes[0]?.finish();
    await settle();
    expect(log.readable?.(Index.of(1))).toBe(false);
    reads[1]?.finish();
    await settle();
    expect(log.readable?.(Index.of(1))).toBe(true);
    const served = log.entries(Index.of(1), Index.of(9), Infinity);
    expect(
      served.map((e) => e.term),
      "the whole burst, for the entries read again",
    ).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
    expect((log as ReadAheadLog).stats).toEqual({ entries: 8, bytes: 336, pacedMs: 0 });
  });

  it("starts no second read of a range a read in flight covers", async () => {
    const { store, reads } = controlledStore(100);
    const log = ReadAheadLog.over(store, { entries: 8, bytes: 1 << 20 }, () => {});
    expect(log.readable?.(Index.of(9))).toBe(false);
    expect(log.readable?.(Index.of(12)), "inside the read in flight: wait for it").toBe(false);
    expect(reads.map((r) => [r.lo, r.hi])).toEqual([[9, 17]]);
    reads[0]?.finish();
    await settle();
    expect(log.readable?.(Index.of(12))).toBe(true);
  });

  it("reads nothing new while pacing holds entries back, so reads cannot evict what waits to be paid for", async () => {
    const { reads, clock, log, woken } = await pacedLog(100);
    expect(log.entries(Index.of(1), Index.of(9), Infinity)).toHaveLength(2);
    expect(log.readable?.(Index.of(3)), "16 bytes left: held back").toBe(false);
    expect(log.readable?.(Index.of(50)), "another follower waits too").toBe(false);
    expect(reads).toHaveLength(1);
    clock.advanceTo(260);
    await settle();
    expect(woken()).toBe(2);
    expect(log.readable?.(Index.of(3))).toBe(true);
    expect(log.readable?.(Index.of(50)), "paid for: reads start again").toBe(false);
    expect(reads.map((r) => [r.lo, r.hi]).at(-1)).toEqual([50, 58]);
  });

  it("cancels a pacing wait when it closes, without waking the engine", async () => {
    const { clock, log, woken } = await pacedLog(100);
    expect(woken()).toBe(1);
    expect(log.entries(Index.of(1), Index.of(9), Infinity), "a 100-byte bucket pays for two").toHaveLength(2);
    expect(log.readable?.(Index.of(3)), "16 bytes left: held back").toBe(false);
    await log.close();
    clock.advanceTo(10_000);
    await settle();
    expect(woken()).toBe(1);
  });
});
