import { describe, expect, it } from "vitest";
import type { LogStore } from "../contracts/index.js";
import { Index, isRaftError, NodeId, Term, type Entry } from "../engine/index.js";

export interface LogStoreFactory {
  /** Durable stores also prove that a reopened store holds what was saved. */
  readonly durable: boolean;
  /** The store implements `readAhead`: the suite checks it reads what `entries` does. */
  readonly readsAhead?: boolean;
  /**
   * A fresh, empty store. `reopen` (for durable stores) closes nothing itself:
   * the suite closes `store` first, then asks for a new instance over the same data.
   */
  create(): Promise<{ store: LogStore; reopen?: () => Promise<LogStore>; dispose(): Promise<void> }>;
}

function entry(index: number, term: number, text = `e${index}`): Entry {
  return { index: Index.of(index), term: Term.of(term), kind: "normal", data: new TextEncoder().encode(text) };
}

function range(lo: number, hi: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(entry(i, term));
  return out;
}

function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isRaftError(thrown) ? thrown.code : thrown).toBe(code);
}

async function expectRejectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isRaftError(e) ? e.code : e).toBe(code);
}

/**
 * The `LogStore` port's contract, as vitest tests. An adapter's test file
 * calls this once; a third-party adapter can do the same.
 */
export function runLogStoreContract(name: string, factory: LogStoreFactory): void {
  describe(`LogStore contract: ${name}`, () => {
    async function withStore(fn: (s: LogStore, reopen?: () => Promise<LogStore>) => Promise<void>): Promise<void> {
      const { store, reopen, dispose } = await factory.create();
      try {
        await fn(store, reopen);
      } finally {
        await dispose();
      }
    }

    it("starts empty: first index 1, last index 0, zero hard state", () =>
      withStore(async (s) => {
        expect(s.firstIndex()).toBe(1);
        expect(s.lastIndex()).toBe(0);
        expect(s.term(Index.zero)).toBe(0);
        expect(await s.loadHardState()).toEqual({ term: 0, vote: 0, commit: 0 });
      }));

    it("saves entries and hard state together and reads them back", () =>
      withStore(async (s) => {
        await s.save({ hardState: { term: Term.of(2), vote: NodeId.of(3), commit: Index.of(1) }, entries: [...range(1, 3, 1), entry(4, 2)] });
        expect(s.lastIndex()).toBe(4);
        expect(s.term(Index.of(3))).toBe(1);
        expect(s.term(Index.of(4))).toBe(2);
        const read = s.entries(Index.of(2), Index.of(5), Infinity);
        expect(read.map((e) => [e.index, e.term, new TextDecoder().decode(e.data)])).toEqual([
          [2, 1, "e2"],
          [3, 1, "e3"],
          [4, 2, "e4"],
        ]);
        expect(read[0]?.kind).toBe("normal");
        expect(await s.loadHardState()).toEqual({ term: 2, vote: 3, commit: 1 });
      }));

    it("saves a hard state alone", () =>
      withStore(async (s) => {
        await s.save({ hardState: { term: Term.of(5), vote: 0, commit: Index.zero }, entries: [] });
        expect(await s.loadHardState()).toEqual({ term: 5, vote: 0, commit: 0 });
        expect(s.lastIndex()).toBe(0);
      }));

    it("keeps entry kinds and empty payloads", () =>
      withStore(async (s) => {
        await s.save({
          entries: [
            { index: Index.of(1), term: Term.of(1), kind: "noop", data: new Uint8Array(0) },
            { index: Index.of(2), term: Term.of(1), kind: "config", data: new Uint8Array([1, 2]) },
          ],
        });
        const [a, b] = s.entries(Index.of(1), Index.of(3), Infinity);
        expect([a?.kind, a?.data.length, b?.kind, Array.from(b?.data ?? [])]).toEqual(["noop", 0, "config", [1, 2]]);
      }));

    it("appending at an earlier index discards the old suffix", () =>
      withStore(async (s) => {
        await s.save({ entries: range(1, 5, 1) });
        await s.save({ entries: [entry(3, 2, "new3")] });
        expect(s.lastIndex()).toBe(3);
        expect(s.term(Index.of(3))).toBe(2);
        expect(new TextDecoder().decode(s.entries(Index.of(3), Index.of(4), Infinity)[0]?.data)).toBe("new3");
        expectCode(() => s.term(Index.of(4)), "Unavailable");
      }));

    it("refuses an append that would leave a hole, and keeps the log", async () =>
      withStore(async (s) => {
        await s.save({ entries: range(1, 2, 1) });
        await expectRejectCode(s.save({ entries: [entry(5, 1)] }), "Unavailable");
        expect(s.lastIndex()).toBe(2);
      }));

    it("limits a range read by bytes but always returns one entry", () =>
      withStore(async (s) => {
        await s.save({ entries: range(1, 10, 1) }); // 2–3 bytes each
        expect(s.entries(Index.of(1), Index.of(11), 0).length).toBe(1);
        const some = s.entries(Index.of(1), Index.of(11), 6);
        expect(some.length).toBeGreaterThanOrEqual(2);
        expect(some.length).toBeLessThan(10);
        expect(some.map((e) => e.index)).toEqual(Array.from({ length: some.length }, (_, i) => i + 1));
      }));

    if (factory.readsAhead === true) {
      it("reads ahead exactly what a read returns, limited by bytes, and refuses ranges it does not hold", () =>
        withStore(async (s) => {
          const readAhead = s.readAhead?.bind(s);
          expect(readAhead, "readsAhead is declared, so readAhead must exist").toBeTypeOf("function");
          if (readAhead === undefined) return;
          await s.save({ entries: range(1, 40, 1) });
          await s.save({ entries: range(30, 45, 2) });
          expect(await readAhead(Index.of(5), Index.of(41), Infinity)).toEqual(s.entries(Index.of(5), Index.of(41), Infinity));
          expect(await readAhead(Index.of(28), Index.of(46), Infinity)).toEqual(s.entries(Index.of(28), Index.of(46), Infinity));
          expect(await readAhead(Index.of(1), Index.of(11), 6)).toEqual(s.entries(Index.of(1), Index.of(11), 6));
          expect((await readAhead(Index.of(3), Index.of(46), 0)).map((e) => e.index)).toEqual([3]);
          await s.compact(Index.of(10));
          await expectRejectCode(readAhead(Index.of(5), Index.of(20), Infinity), "Compacted");
          await expectRejectCode(readAhead(Index.of(40), Index.of(47), Infinity), "Unavailable");
          expect(await readAhead(Index.of(11), Index.of(13), Infinity)).toEqual(s.entries(Index.of(11), Index.of(13), Infinity));
        }));
    }

    it("reports out-of-range reads with typed errors", () =>
      withStore(async (s) => {
        await s.save({ entries: range(1, 3, 1) });
        expectCode(() => s.entries(Index.of(2), Index.of(5), Infinity), "Unavailable");
        expectCode(() => s.term(Index.of(4)), "Unavailable");
        await s.compact(Index.of(2));
        expectCode(() => s.entries(Index.of(1), Index.of(3), Infinity), "Compacted");
        expectCode(() => s.term(Index.of(1)), "Compacted");
      }));

    it("compacts a prefix and keeps the term of the last compacted entry", () =>
      withStore(async (s) => {
        await s.save({ entries: [...range(1, 3, 1), ...range(4, 6, 2)] });
        await s.compact(Index.of(4));
        expect(s.firstIndex()).toBe(5);
        expect(s.lastIndex()).toBe(6);
        expect(s.term(Index.of(4))).toBe(2);
        expect(s.entries(Index.of(5), Index.of(7), Infinity).map((e) => e.index)).toEqual([5, 6]);
        await s.save({ entries: range(5, 8, 3) });
        expect(s.lastIndex()).toBe(8);
        expect(s.term(Index.of(5))).toBe(3);
      }));

    it("compacts the whole log and keeps appending after it", () =>
      withStore(async (s) => {
        await s.save({ entries: range(1, 4, 1) });
        await s.compact(Index.of(4));
        expect([s.firstIndex(), s.lastIndex(), s.term(Index.of(4))]).toEqual([5, 4, 1]);
        await s.save({ entries: [entry(5, 2)] });
        expect(s.entries(Index.of(5), Index.of(6), Infinity).map((e) => e.term)).toEqual([2]);
      }));

    it("resets the log to a snapshot position in the same write as entries and hard state", () =>
      withStore(async (s) => {
        await s.save({ entries: range(1, 5, 1) });
        await s.save({ reset: { index: Index.of(20), term: Term.of(4) }, hardState: { term: Term.of(5), vote: 0, commit: Index.of(20) }, entries: range(21, 22, 5) });
        expect([s.firstIndex(), s.lastIndex(), s.term(Index.of(20)), s.term(Index.of(22))]).toEqual([21, 22, 4, 5]);
        expectCode(() => s.term(Index.of(5)), "Compacted");
        expect(await s.loadHardState()).toEqual({ term: 5, vote: 0, commit: 20 });
      }));

    it("resets to a position inside the current log, discarding everything", () =>
      withStore(async (s) => {
        await s.save({ entries: range(1, 9, 2) });
        await s.save({ reset: { index: Index.of(3), term: Term.of(2) }, entries: [] });
        expect([s.firstIndex(), s.lastIndex(), s.term(Index.of(3))]).toEqual([4, 3, 2]);
      }));

    it("refuses to compact past the last index, and to append into the compacted prefix", () =>
      withStore(async (s) => {
        await s.save({ entries: range(1, 3, 1) });
        await expectRejectCode(s.compact(Index.of(7)), "Unavailable");
        await s.compact(Index.of(2));
        await expectRejectCode(s.save({ entries: [entry(2, 5)] }), "Compacted");
        expect(s.lastIndex()).toBe(3);
      }));

    it("an awaited save is an ordinary save, whatever path the store takes for it", () =>
      withStore(async (s) => {
        await s.save({ hardState: { term: Term.of(1), vote: NodeId.of(2), commit: Index.zero }, entries: [], awaited: true });
        await s.save({ entries: [entry(1, 1)], awaited: true });
        await s.save({ entries: range(2, 9, 1), awaited: true });
        await s.save({ hardState: { term: Term.of(1), vote: NodeId.of(2), commit: Index.of(3) }, entries: [entry(10, 1)] });
        await s.save({ entries: [entry(11, 1, "x".repeat(100_000))], awaited: true });
        await s.save({ hardState: { term: Term.of(2), vote: NodeId.of(3), commit: Index.of(4) }, entries: [entry(6, 2, "new6")], awaited: true });
        await s.compact(Index.of(2));
        await s.save({ entries: [entry(7, 2)], awaited: true });
        expect([s.firstIndex(), s.lastIndex(), s.term(Index.of(2)), s.term(Index.of(5)), s.term(Index.of(7))]).toEqual([3, 7, 1, 1, 2]);
        expect(s.entries(Index.of(3), Index.of(8), Infinity).map((e) => new TextDecoder().decode(e.data))).toEqual(["e3", "e4", "e5", "new6", "e7"]);
        expect(await s.loadHardState()).toEqual({ term: 2, vote: 3, commit: 4 });
        await s.save({ reset: { index: Index.of(20), term: Term.of(2) }, entries: [entry(21, 2)], awaited: true });
        expect([s.firstIndex(), s.lastIndex(), s.term(Index.of(20))]).toEqual([21, 21, 2]);
      }));

    it("while a save is in flight, reads below it are unchanged and the rest shows it whole or not at all", () =>
      withStore(async (s) => {
        await s.save({ hardState: { term: Term.of(1), vote: NodeId.of(1), commit: Index.of(5) }, entries: range(1, 10, 1) });
        const replacing = range(8, 15, 2);
        const inFlight = s.save({ hardState: { term: Term.of(2), vote: NodeId.of(1), commit: Index.of(7) }, entries: replacing });
        expect(s.firstIndex()).toBe(1);
        expect(s.entries(Index.of(1), Index.of(8), Infinity).map((e) => [e.index, e.term])).toEqual(range(1, 7, 1).map((e) => [e.index, 1]));
        expect(s.term(Index.of(7))).toBe(1);
        const last = s.lastIndex();
        expect([10, 15]).toContain(last);
        expect(s.term(Index.of(8))).toBe(last === 15 ? 2 : 1);
        expect(s.entries(Index.of(8), Index.of(last + 1), Infinity).every((e) => e.term === s.term(Index.of(8)))).toBe(true);
        await inFlight;
        expect(s.lastIndex()).toBe(15);
        expect(s.entries(Index.of(7), Index.of(16), Infinity).map((e) => e.term)).toEqual([1, 2, 2, 2, 2, 2, 2, 2, 2]);
        expect(await s.loadHardState()).toEqual({ term: 2, vote: 1, commit: 7 });
      }));

    it("while a compaction is in flight, reads past it are unchanged; once it resolves the prefix is gone", () =>
      withStore(async (s) => {
        await s.save({ entries: range(1, 10, 1) });
        const inFlight = s.compact(Index.of(6));
        expect(s.lastIndex()).toBe(10);
        expect(s.entries(Index.of(7), Index.of(11), Infinity).map((e) => e.index)).toEqual([7, 8, 9, 10]);
        expect([1, 7]).toContain(s.firstIndex());
        await inFlight;
        expect(s.firstIndex()).toBe(7);
        expect(s.term(Index.of(6))).toBe(1);
      }));

    if (!factory.durable) return;
    it("survives a reopen with log, compaction and hard state intact", () =>
      withStore(async (s, reopen) => {
        if (reopen === undefined) throw new Error("a durable store's factory must provide reopen()");
        await s.save({ hardState: { term: Term.of(3), vote: NodeId.of(2), commit: Index.of(4) }, entries: range(1, 6, 3) });
        await s.compact(Index.of(2));
        await s.close();
        const again = await reopen();
        try {
          expect([again.firstIndex(), again.lastIndex(), again.term(Index.of(2)), again.term(Index.of(6))]).toEqual([3, 6, 3, 3]);
          await again.save({ reset: { index: Index.of(10), term: Term.of(4) }, entries: [] });
          expect([again.firstIndex(), again.lastIndex(), again.term(Index.of(10))]).toEqual([11, 10, 4]);
          await again.save({ reset: { index: Index.of(2), term: Term.of(3) }, entries: range(3, 6, 3) });
          expect(await again.loadHardState()).toEqual({ term: 3, vote: 2, commit: 4 });
          expect(again.entries(Index.of(3), Index.of(7), Infinity).map((e) => new TextDecoder().decode(e.data))).toEqual(["e3", "e4", "e5", "e6"]);
        } finally {
          await again.close();
        }
      }));
  });
}
