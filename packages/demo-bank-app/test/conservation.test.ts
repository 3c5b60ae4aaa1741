import { Prng } from "@raft/core/testing";
import { describe, expect, it } from "vitest";
import { BankStateMachine, type BankCommand, type BankResult } from "../src/index.js";
import { bytes, Feeder, fingerprint, metaAt, readAll, streamOf } from "./support/bank.js";

const MAX = Number.MAX_SAFE_INTEGER;

/** A random command over a small set of accounts: ordinary and huge amounts, retries, reused ids, unknown accounts, malformed bytes. */
function randomCommand(prng: Prng, i: number, used: string[]): BankCommand | Uint8Array {
  if (prng.chance(0.03)) return bytes(`{"type":"withdraw","requestId":"bad${i}","id":"a1","amount":0}`);
  if (used.length > 0 && prng.chance(0.1)) return JSON.parse(used[prng.int(0, used.length)] as string) as BankCommand; // a retry
  const account = () => `a${prng.int(0, 30)}`;
  const amount = () => (prng.chance(0.02) ? MAX - prng.int(0, 1000) : prng.int(1, 2000));
  const requestId = i > 0 && prng.chance(0.03) ? `r${prng.int(0, i)}` : `r${i}`; // now and then an id reused for another command
  const k = prng.int(0, 10);
  if (k < 2) return { type: "open", requestId, id: account(), balance: prng.chance(0.1) ? 0 : amount() };
  if (k < 4) return { type: "deposit", requestId, id: account(), amount: amount() };
  if (k < 6) return { type: "withdraw", requestId, id: account(), amount: amount() };
  const from = account();
  const to = account();
  return from === to ? { type: "deposit", requestId, id: from, amount: amount() } : { type: "transfer", requestId, from, to, amount: amount() };
}

/** What the total should become: only executed opens, deposits and withdrawals move it. */
function totalDelta(c: BankCommand | Uint8Array, r: BankResult): number {
  if (c instanceof Uint8Array || !r.ok || r.duplicate) return 0;
  if (c.type === "open") return c.balance;
  if (c.type === "deposit") return c.amount;
  if (c.type === "withdraw") return -c.amount;
  return 0;
}

/** The balances added up one by one, each checked to be a non-negative safe integer. */
function balancesSum(sm: BankStateMachine): number {
  let sum = 0;
  for (const a of sm.accounts()) {
    if (!Number.isSafeInteger(a.balance) || a.balance < 0) throw new Error(`account ${a.id} has balance ${a.balance}`);
    sum += a.balance;
  }
  return sum;
}

describe("conservation (seeded random runs)", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: total = opens + deposits − withdrawals, no balance below zero, retries change nothing`, async () => {
      const prng = new Prng(seed);
      const sm = new BankStateMachine({ dedupCapacity: 200 });
      const feed = new Feeder(sm);
      const used: string[] = [];
      let expectedTotal = 0;
      let twin: { sm: BankStateMachine; feed: Feeder } | undefined;
      const restoreAt = prng.int(500, 2500);
      for (let i = 0; i < 3000; i++) {
        const c = randomCommand(prng, i, used);
        if (!(c instanceof Uint8Array)) used.push(JSON.stringify(c));
        const before = sm.total();
        const r = feed.one(c) as BankResult;
        expect(twin?.feed.one(c) ?? r).toEqual(r);
        if (r.duplicate) expect(sm.total()).toBe(before);
        expectedTotal += totalDelta(c, r);
        expect(sm.total()).toBe(expectedTotal);
        expect(balancesSum(sm)).toBe(expectedTotal);
        if (i === restoreAt) {
          // From here a second machine, restored from a snapshot, must answer exactly the same.
          const copy = new BankStateMachine({ dedupCapacity: 200 });
          await copy.restore(metaAt(sm.appliedIndex()), streamOf(await readAll(sm.snapshot())));
          twin = { sm: copy, feed: new Feeder(copy) };
          twin.feed.next = feed.next;
        }
      }
      expect(sm.total()).toBeLessThanOrEqual(MAX);
      expect(twin && fingerprint(twin.sm)).toBe(fingerprint(sm));
    });
  }

  it("the random runs exercise every outcome", () => {
    const prng = new Prng(1);
    const sm = new BankStateMachine({ dedupCapacity: 200 });
    const feed = new Feeder(sm);
    const used: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const c = randomCommand(prng, i, used);
      if (!(c instanceof Uint8Array)) used.push(JSON.stringify(c));
      const r = feed.one(c) as BankResult;
      seen.add(r.ok ? (r.duplicate ? "ok-duplicate" : "ok") : r.error);
    }
    expect([...seen].sort()).toEqual(["AccountExists", "InsufficientFunds", "LimitExceeded", "Malformed", "RequestIdReused", "UnknownAccount", "ok", "ok-duplicate"].sort());
  });
});
