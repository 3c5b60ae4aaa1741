import { describe, expect, it } from "vitest";
import { BankStateMachine } from "../src/index.js";
import { bytes, deposit, Feeder, open, transfer, withdraw } from "./support/bank.js";
import { Index, Term } from "@raft/core/contracts";

function bank() {
  const sm = new BankStateMachine();
  return { sm, feed: new Feeder(sm) };
}

describe("apply", () => {
  it("open creates an account with its opening balance, which may be zero", () => {
    const { sm, feed } = bank();
    expect(feed.apply(open("r1", "alice", 100), open("r2", "bob", 0))).toEqual([
      { ok: true, index: 1, duplicate: false },
      { ok: true, index: 2, duplicate: false },
    ]);
    expect(sm.balance("alice")).toBe(100);
    expect(sm.balance("bob")).toBe(0);
    expect(sm.total()).toBe(100);
    expect(sm.accountCount()).toBe(2);
    expect(sm.appliedIndex()).toBe(2);
  });

  it("stores an opening balance of -0 (valid JSON) as 0", () => {
    const { sm, feed } = bank();
    expect(feed.one(bytes(`{"type":"open","requestId":"r1","id":"z","balance":-0}`))).toMatchObject({ ok: true });
    expect(Object.is(sm.balance("z"), 0)).toBe(true);
  });

  it("open of an existing id answers AccountExists and keeps the balance", () => {
    const { sm, feed } = bank();
    feed.one(open("r1", "alice", 100));
    expect(feed.one(open("r2", "alice", 5))).toEqual({ ok: false, error: "AccountExists", index: 2, duplicate: false });
    expect(sm.balance("alice")).toBe(100);
    expect(sm.total()).toBe(100);
  });

  it("deposit adds to the balance; to an unknown account it answers UnknownAccount", () => {
    const { sm, feed } = bank();
    feed.one(open("r1", "alice", 100));
    expect(feed.one(deposit("r2", "alice", 50))).toEqual({ ok: true, index: 2, duplicate: false });
    expect(feed.one(deposit("r3", "carol", 50))).toEqual({ ok: false, error: "UnknownAccount", index: 3, duplicate: false });
    expect(sm.balance("alice")).toBe(150);
    expect(sm.balance("carol")).toBeUndefined();
    expect(sm.total()).toBe(150);
  });

  it("withdraw may empty an account but never overdraw it", () => {
    const { sm, feed } = bank();
    feed.one(open("r1", "alice", 100));
    expect(feed.one(withdraw("r2", "alice", 101))).toEqual({ ok: false, error: "InsufficientFunds", index: 2, duplicate: false });
    expect(sm.balance("alice")).toBe(100);
    expect(feed.one(withdraw("r3", "alice", 100))).toEqual({ ok: true, index: 3, duplicate: false });
    expect(sm.balance("alice")).toBe(0);
    expect(feed.one(withdraw("r4", "bob", 1))).toMatchObject({ ok: false, error: "UnknownAccount" });
    expect(sm.total()).toBe(0);
  });

  it("transfer moves money between accounts and keeps the total", () => {
    const { sm, feed } = bank();
    feed.apply(open("r1", "alice", 100), open("r2", "bob", 10));
    expect(feed.one(transfer("r3", "alice", "bob", 100))).toEqual({ ok: true, index: 3, duplicate: false });
    expect([sm.balance("alice"), sm.balance("bob"), sm.total()]).toEqual([0, 110, 110]);
  });

  it("transfer rejects unknown accounts on either side, and overdrafts, changing nothing", () => {
    const { sm, feed } = bank();
    feed.apply(open("r1", "alice", 100), open("r2", "bob", 10));
    expect(feed.one(transfer("r3", "alice", "carol", 1))).toMatchObject({ ok: false, error: "UnknownAccount", index: 3 });
    expect(feed.one(transfer("r4", "carol", "alice", 1))).toMatchObject({ ok: false, error: "UnknownAccount", index: 4 });
    expect(feed.one(transfer("r5", "bob", "alice", 11))).toMatchObject({ ok: false, error: "InsufficientFunds", index: 5 });
    // An unknown account is reported before the funds.
    expect(feed.one(transfer("r6", "bob", "carol", 11))).toMatchObject({ ok: false, error: "UnknownAccount" });
    expect([sm.balance("alice"), sm.balance("bob"), sm.total()]).toEqual([100, 10, 110]);
  });

  it("keeps the total (and so every balance) a safe integer: LimitExceeded", () => {
    const { sm, feed } = bank();
    const max = Number.MAX_SAFE_INTEGER;
    feed.apply(open("r1", "rich", max - 10), open("r2", "poor", 0));
    expect(feed.one(deposit("r3", "poor", 11))).toMatchObject({ ok: false, error: "LimitExceeded" });
    expect(feed.one(open("r4", "new", 11))).toMatchObject({ ok: false, error: "LimitExceeded" });
    expect(feed.one(deposit("r5", "poor", 10))).toMatchObject({ ok: true });
    expect(feed.one(transfer("r6", "rich", "poor", max - 10))).toMatchObject({ ok: true });
    expect([sm.balance("rich"), sm.balance("poor"), sm.total()]).toEqual([0, max, max]);
    expect(sm.balance("new")).toBeUndefined();
  });

  it("answers Malformed for bytes that are not a valid command, without throwing or changing state", () => {
    const { sm, feed } = bank();
    feed.one(open("r1", "alice", 100));
    const results = feed.apply(bytes("garbage"), new Uint8Array([0xc3, 0x28]), bytes(JSON.stringify(transfer("r2", "alice", "alice", 1))), bytes(JSON.stringify(withdraw("r3", "alice", 0))));
    expect(results).toEqual([2, 3, 4, 5].map((index) => ({ ok: false, error: "Malformed", index, duplicate: false })));
    expect(sm.balance("alice")).toBe(100);
    expect(sm.appliedIndex()).toBe(5);
    expect(sm.requestCount()).toBe(1); // malformed commands are not remembered
  });

  it("follows the log's indices, gaps included (no-ops and membership entries never reach it)", () => {
    const sm = new BankStateMachine();
    const data = new Feeder(sm).commands([open("r1", "a", 1), open("r2", "b", 1)]).map((c) => c.data);
    expect(
      sm
        .apply([
          { index: Index.of(3), term: Term.of(1), data: data[0] as Uint8Array },
          { index: Index.of(7), term: Term.of(2), data: data[1] as Uint8Array },
        ])
        .map((r) => r.index),
    ).toEqual([3, 7]);
    expect(sm.appliedIndex()).toBe(7);
    expect(sm.request("r2")?.index).toBe(7);
  });

  it("throws Corrupt for commands out of log order, applying none of the batch", () => {
    const { sm, feed } = bank();
    feed.one(open("r1", "a", 1));
    const [d2, d3] = new Feeder(sm).commands([deposit("r2", "a", 1), deposit("r3", "a", 1)]).map((c) => c.data) as [Uint8Array, Uint8Array];
    expect(() =>
      sm.apply([
        { index: Index.of(2), term: Term.of(1), data: d2 },
        { index: Index.of(2), term: Term.of(1), data: d3 },
      ]),
    ).toThrow(expect.objectContaining({ code: "Corrupt" }));
    expect(() => sm.apply([{ index: Index.of(1), term: Term.of(1), data: d2 }])).toThrow(expect.objectContaining({ code: "Corrupt" }));
    expect(sm.balance("a")).toBe(1);
    expect(sm.appliedIndex()).toBe(1);
  });

  it("lists accounts in opening order, by page", () => {
    const { sm, feed } = bank();
    feed.apply(open("r1", "c", 3), open("r2", "a", 1), open("r3", "b", 2), transfer("r4", "c", "a", 1));
    expect([...sm.accounts()]).toEqual([
      { id: "c", balance: 2 },
      { id: "a", balance: 2 },
      { id: "b", balance: 2 },
    ]);
    expect([...sm.accounts({ offset: 1, limit: 1 })]).toEqual([{ id: "a", balance: 2 }]);
    expect([...sm.accounts({ offset: 5 })]).toEqual([]);
  });

  it("answers request(id) with where a request was applied and what it answered", () => {
    const { sm, feed } = bank();
    feed.apply(open("r1", "a", 1), withdraw("r2", "a", 5));
    expect(sm.request("r1")).toEqual({ index: 1, result: { ok: true, index: 1, duplicate: false } });
    expect(sm.request("r2")).toEqual({ index: 2, result: { ok: false, error: "InsufficientFunds", index: 2, duplicate: false } });
    expect(sm.request("r3")).toBeUndefined();
  });

  it("refuses invalid options with InvalidConfig", () => {
    expect(() => new BankStateMachine({ dedupCapacity: 0 })).toThrow(expect.objectContaining({ code: "InvalidConfig" }));
    expect(() => new BankStateMachine({ snapshotChunkBytes: 10 })).toThrow(expect.objectContaining({ code: "InvalidConfig" }));
    expect(() => new BankStateMachine({ capacity: 5 } as never)).toThrow(expect.objectContaining({ code: "InvalidConfig" }));
    expect(new BankStateMachine().dedupCapacity).toBe(100_000);
  });
});
