import { describe, expect, it } from "vitest";
import { EntryCache } from "../../src/engine/entry-cache.js";
import { RaftLog } from "../../src/engine/raft-log.js";
import { MemoryLog } from "../../src/contracts/index.js";
import type { Entry, LogReader } from "../../src/engine/index.js";
import { Index, Term } from "../../src/engine/index.js";

function entries(lo: number, hi: number, term = 1, size = 10): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push({ index: Index.of(i), term: Term.of(term), kind: "normal", data: new Uint8Array(size) });
  return out;
}

/** A LogReader that counts the entries read from it. */
function countingStorage(log: MemoryLog): LogReader & { read: number } {
  const s = {
    read: 0,
    firstIndex: () => log.firstIndex(),
    lastIndex: () => log.lastIndex(),
    term: (i: number) => log.term(Index.of(i)),
    entries(lo: number, hi: number, maxBytes: number) {
      const out = log.entries(Index.of(lo), Index.of(hi), maxBytes);
      s.read += out.length;
      return out;
    },
  };
  return s;
}

describe("EntryCache", () => {
  it("keeps the newest entries within its byte budget, oldest out first", () => {
    const c = new EntryCache(3 * (10 + 64));
    c.clear(Index.of(1));
    c.append(entries(1, 5));
    expect([c.first(), c.end()]).toEqual([3, 6]);
    expect(c.slice(Index.of(3), Index.of(6)).map((e) => e.index)).toEqual([3, 4, 5]);
    expect(c.slice(Index.of(2), Index.of(6))).toEqual([]);
    expect(c.term(Index.of(4))).toBe(1);
    expect(c.term(Index.of(2))).toBeUndefined();
  });

  it("forgets replaced entries, and starts over when entries do not follow on", () => {
    const c = new EntryCache(1 << 20);
    c.clear(Index.of(1));
    c.append(entries(1, 5));
    c.truncateFrom(Index.of(4));
    expect(c.end()).toBe(4);
    c.append(entries(4, 6, 2));
    expect(c.slice(Index.of(3), Index.of(7)).map((e) => `${e.index}@${e.term}`)).toEqual(["3@1", "4@2", "5@2", "6@2"]);
    c.append(entries(10, 11));
    expect([c.first(), c.end()]).toEqual([10, 12]);
  });
});

describe("RaftLog reads through its cache", () => {
  function logWith(n: number, cacheBytes: number) {
    const durable = new MemoryLog();
    durable.append(entries(1, n));
    const storage = countingStorage(durable);
    return { durable, storage, log: new RaftLog(storage, Index.zero, Index.zero, cacheBytes) };
  }

  it("serves entries that became durable from memory, not from storage", () => {
    const { durable, storage, log } = logWith(0, 1 << 20);
    log.append(entries(1, 100));
    durable.append(entries(1, 100));
    log.stableTo(Index.of(100), Term.of(1));
    expect(log.slice(Index.of(1), Index.of(101), Infinity)?.length).toBe(100);
    expect(log.term(Index.of(50))).toBe(1);
    expect(storage.read).toBe(0);
  });

  it("reads older entries from storage within the turn's byte budget, then asks to wait", () => {
    const { storage, log } = logWith(100, 0);
    log.resetReadBudget(25, Infinity);
    expect(log.inMemory(Index.of(1))).toBe(false);
    expect(log.storageWait(Index.of(1))).toBeUndefined();
    expect(log.slice(Index.of(1), Index.of(101), 30)?.length).toBe(3);
    expect(log.storageWait(Index.of(4))).toBe("turn");
    log.resetReadBudget(25, Infinity);
    expect(log.storageWait(Index.of(4))).toBeUndefined();
    expect(storage.read).toBe(3);
  });

  it("counts entries against the turn's budget too, and never allows a read past what is left", () => {
    const { storage, log } = logWith(100, 0);
    log.resetReadBudget(Infinity, 8);
    const first = log.readAllowance();
    expect(first.entries).toBe(8);
    expect(log.slice(Index.of(1), Index.of(101), first.bytes, 5)?.length).toBe(5);
    expect(log.readAllowance().entries).toBe(3);
    expect(log.slice(Index.of(6), Index.of(101), Infinity, log.readAllowance().entries)?.length).toBe(3);
    expect(log.storageWait(Index.of(9))).toBe("turn");
    expect(storage.read).toBe(8);
  });

  it("waits for a storage that is reading entries ahead off the event loop, and only below the cache", () => {
    const { storage, log } = logWith(100, 0);
    let readAhead = false;
    Object.assign(storage, { readable: (lo: number) => readAhead || lo > 50 });
    log.resetReadBudget(Infinity, Infinity);
    expect(log.storageWait(Index.of(1))).toBe("storage");
    expect(log.storageWait(Index.of(60))).toBeUndefined();
    readAhead = true;
    expect(log.storageWait(Index.of(1))).toBeUndefined();
    log.resetReadBudget(0, Infinity);
    expect(log.storageWait(Index.of(1)), "the turn's budget comes first").toBe("turn");
  });

  it("reads across storage, cache and the unstable tail as one contiguous range", () => {
    const { durable, log } = logWith(10, 5 * (10 + 64));
    log.append(entries(11, 20));
    durable.append(entries(11, 20));
    log.stableTo(Index.of(20), Term.of(1));
    log.append(entries(21, 25));
    expect(log.slice(Index.of(1), Index.of(26), Infinity)?.map((e) => e.index)).toEqual(entries(1, 25).map((e) => e.index));
    expect(log.slice(Index.of(14), Index.of(23), 35)?.map((e) => e.index)).toEqual([14, 15, 16]);
  });
});
