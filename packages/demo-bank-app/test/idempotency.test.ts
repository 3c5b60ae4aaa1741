import { Prng } from "@raft/core/testing";
import { describe, expect, it } from "vitest";
import { BankStateMachine, encodeBankCommand, type BankCommand } from "../src/index.js";
import { bytes, deposit, Feeder, fingerprint, open, transfer, withdraw } from "./support/bank.js";
import { Index, Term } from "@raft/core/contracts";

describe("exactly-once requests (Raft thesis §6.3)", () => {
  it("a retried command is applied once and answers the original index", () => {
    const sm = new BankStateMachine();
    const feed = new Feeder(sm);
    feed.apply(open("o1", "alice", 100), open("o2", "bob", 0));
    expect(feed.one(transfer("t1", "alice", "bob", 30))).toEqual({ ok: true, index: 3, duplicate: false });
    expect(feed.one(transfer("t1", "alice", "bob", 30))).toEqual({ ok: true, index: 3, duplicate: true });
    expect(feed.one(deposit("d1", "bob", 5))).toEqual({ ok: true, index: 5, duplicate: false });
    expect(feed.one(transfer("t1", "alice", "bob", 30))).toEqual({ ok: true, index: 3, duplicate: true });
    expect([sm.balance("alice"), sm.balance("bob"), sm.total()]).toEqual([70, 35, 105]);
    expect(sm.appliedIndex()).toBe(6);
  });

  it("a retry in the same batch is de-duplicated too", () => {
    const sm = new BankStateMachine();
    const results = new Feeder(sm).apply(open("o1", "a", 0), deposit("d1", "a", 10), deposit("d1", "a", 10));
    expect(results[2]).toEqual({ ok: true, index: 2, duplicate: true });
    expect(sm.balance("a")).toBe(10);
  });

  it("a retry of a rejected command answers the original error, even once it would succeed", () => {
    const sm = new BankStateMachine();
    const feed = new Feeder(sm);
    feed.one(open("o1", "a", 10));
    expect(feed.one(withdraw("w1", "a", 50))).toEqual({ ok: false, error: "InsufficientFunds", index: 2, duplicate: false });
    feed.one(deposit("d1", "a", 100));
    expect(feed.one(withdraw("w1", "a", 50))).toEqual({ ok: false, error: "InsufficientFunds", index: 2, duplicate: true });
    expect(sm.balance("a")).toBe(110);
  });

  it("a request id reused for another command answers RequestIdReused with the original index and applies nothing", () => {
    const sm = new BankStateMachine();
    const feed = new Feeder(sm);
    feed.apply(open("o1", "a", 10), deposit("d1", "a", 5));
    expect(feed.one(deposit("d1", "a", 6))).toEqual({ ok: false, error: "RequestIdReused", index: 2, duplicate: true });
    expect(feed.one(open("d1", "b", 6))).toEqual({ ok: false, error: "RequestIdReused", index: 2, duplicate: true });
    expect(sm.balance("a")).toBe(15);
    expect(sm.balance("b")).toBeUndefined();
    expect(sm.request("d1")).toEqual({ index: 2, result: { ok: true, index: 2, duplicate: false } });
  });

  it("a retry is recognised however its JSON is written (key order, spacing)", () => {
    const sm = new BankStateMachine();
    const feed = new Feeder(sm);
    feed.apply(open("o1", "a", 10), deposit("d1", "a", 5));
    expect(feed.one(bytes(`{ "amount": 5, "id": "a", "requestId": "d1", "type": "deposit" }`))).toEqual({ ok: true, index: 2, duplicate: true });
    expect(sm.balance("a")).toBe(15);
  });

  it("a malformed command is not remembered: its request id stays free", () => {
    const sm = new BankStateMachine();
    const feed = new Feeder(sm);
    feed.one(open("o1", "a", 10));
    expect(feed.one(bytes(`{"type":"deposit","requestId":"d1","id":"a","amount":0}`))).toMatchObject({ error: "Malformed", index: 2 });
    expect(feed.one(deposit("d1", "a", 1))).toEqual({ ok: true, index: 3, duplicate: false });
  });
});

describe("the de-duplication table", () => {
  it("keeps the latest `dedupCapacity` requests in apply order; an evicted id is forgotten and a retry of it applies again", () => {
    const sm = new BankStateMachine({ dedupCapacity: 3 });
    const feed = new Feeder(sm);
    feed.apply(open("o1", "a", 0), deposit("d1", "a", 1), deposit("d2", "a", 1));
    expect(feed.one(deposit("o1", "a", 1))).toMatchObject({ error: "RequestIdReused", duplicate: true }); // still remembered; a retry does not refresh it
    feed.one(deposit("d3", "a", 1)); // evicts o1, the oldest
    expect([...sm.requests()].map((r) => r.requestId)).toEqual(["d1", "d2", "d3"]);
    expect(sm.request("o1")).toBeUndefined();
    feed.one(deposit("d4", "a", 1)); // evicts d1
    expect(sm.request("d1")).toBeUndefined();
    expect(feed.one(deposit("d1", "a", 1))).toEqual({ ok: true, index: 7, duplicate: false }); // applied a second time
    expect(sm.balance("a")).toBe(5);
    expect(sm.requestCount()).toBe(3);
  });

  it("stays bounded however many requests go through", () => {
    const sm = new BankStateMachine({ dedupCapacity: 100 });
    const feed = new Feeder(sm);
    feed.one(open("o", "a", 0));
    for (let b = 0; b < 20; b++) feed.apply(...Array.from({ length: 100 }, (_, i) => deposit(`d${b}-${i}`, "a", 1)));
    expect(sm.requestCount()).toBe(100);
    expect([...sm.requests()][0]?.requestId).toBe("d19-0");
    expect(sm.balance("a")).toBe(2000);
  });

  it("evicts the same ids on two machines fed the same log in different batches", () => {
    const prng = new Prng(42);
    const log: Uint8Array[] = [encodeBankCommand(open("o1", "a", 1000)), encodeBankCommand(open("o2", "b", 1000))];
    for (let i = 0; i < 3000; i++) {
      // Request ids from a small space, so retries of remembered and of evicted ids both happen.
      const id = `r${prng.int(0, 400)}`;
      const c: BankCommand = prng.chance(0.5) ? transfer(id, "a", "b", prng.int(1, 5)) : transfer(id, "b", "a", prng.int(1, 5));
      log.push(encodeBankCommand(c));
    }
    const one = new BankStateMachine({ dedupCapacity: 50 });
    const two = new BankStateMachine({ dedupCapacity: 50 });
    const cmds = log.map((data, i) => ({ index: Index.of(i + 1), term: Term.of(1), data }));
    const r1 = one.apply(cmds);
    const r2 = [];
    for (let i = 0; i < cmds.length; i += 7) r2.push(...two.apply(cmds.slice(i, i + 7)));
    expect(r2).toEqual(r1);
    expect([...two.requests()]).toEqual([...one.requests()]);
    expect(one.requestCount()).toBe(50);
    expect(r1.filter((r) => r.duplicate).length).toBeGreaterThan(0);
    expect(fingerprint(two)).toBe(fingerprint(one));
  });
});
