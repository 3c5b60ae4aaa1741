import { describe, expect, it } from "vitest";
import { checkApplied, checkConvergence, checkTotals, type AppliedRequest, type MemberState } from "../src/checks.js";
import type { SentTransfer } from "../src/clients.js";

const initial = { a: 100, b: 100 };
const sent: SentTransfer[] = [
  { requestId: "w1-1", client: "w1", from: "a", to: "b", amount: 10, outcome: "ok", index: 5 },
  { requestId: "w1-2", client: "w1", from: "b", to: "a", amount: 500, outcome: "InsufficientFunds", index: 6 },
  { requestId: "w2-1", client: "w2", from: "b", to: "a", amount: 3 }, // never answered
];
const applied: AppliedRequest[] = [
  { requestId: "open-a", index: 1, ok: true },
  { requestId: "open-b", index: 2, ok: true },
  { requestId: "w1-1", index: 5, ok: true },
  { requestId: "w1-2", index: 6, ok: false, error: "InsufficientFunds" },
  { requestId: "w2-1", index: 7, ok: true },
];
const known = new Set(["open-a", "open-b"]);

describe("the end-of-run checks", () => {
  it("pass a run where every answered transfer is applied as answered, and an unanswered one may be", () => {
    expect(checkApplied(sent, applied, known, initial, { a: 93, b: 107 })).toEqual([]);
    expect(checkApplied(sent, applied.slice(0, 4), known, initial, { a: 90, b: 110 })).toEqual([]);
  });

  it("name an acknowledged transfer that is not applied, or applied with another outcome or index", () => {
    const lost = checkApplied(
      sent,
      applied.filter((r) => r.requestId !== "w1-1"),
      known,
      initial,
      { a: 103, b: 97 },
    );
    // The balances agree with what was applied: only the client's answer shows the loss.
    expect(lost.map((a) => a.kind)).toEqual(["lost-write"]);
    const moved = applied.map((r) => (r.requestId === "w1-1" ? { ...r, index: 9 } : r));
    expect(checkApplied(sent, moved, known, initial, { a: 93, b: 107 }).map((a) => a.kind)).toEqual(["wrong-outcome"]);
  });

  it("name a request nobody sent, and balances moved by anything but the transfers applied once", () => {
    const phantom = [...applied, { requestId: "x-1", index: 8, ok: true }];
    expect(checkApplied(sent, phantom, known, initial, { a: 93, b: 107 }).map((a) => a.kind)).toEqual(["phantom-write"]);
    // w1-1 applied twice would leave a at 80.
    expect(checkApplied(sent, applied, known, initial, { a: 83, b: 117 }).map((a) => a.detail)).toEqual([
      "final balances are not the initial ones moved by the transfers applied ok: a is 83, expected 93; b is 117, expected 107",
    ]);
  });

  it("name every read whose total is not the money in the bank", () => {
    expect(
      checkTotals(
        [
          { at: 1000, total: 200, client: "r1" },
          { at: 2500, total: 190, client: "r2" },
        ],
        200,
      ),
    ).toEqual([{ kind: "conservation", detail: "client r2 read a total of 190 at 2.500 s; the bank holds 200" }]);
  });

  it("name a member whose state differs from the leader's", () => {
    const leader: MemberState = { id: 1, index: 7, accounts: { a: 93, b: 107 }, requests: applied };
    const same: MemberState = { ...leader, id: 2, requests: [...applied].reverse() };
    const behind: MemberState = { id: 3, index: 6, accounts: { a: 90, b: 110 }, requests: applied.slice(0, 4) };
    const anomalies = checkConvergence(leader, [same, behind]);
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]?.detail).toMatch(/^node 3 holds a different state from node 1: index 6 vs 7, 4 vs 5 requests/);
  });
});
