import { describe, expect, it } from "vitest";
import { Index, Term } from "../../src/engine/index.js";
import { PendingProposals } from "../../src/runtime/pending.js";
import { SimClock } from "../../src/testing/sim-clock.js";

/** A proposal's outcome as the client sees it. */
function waiter() {
  const outcome: { value?: string; error?: string } = {};
  return { outcome, waiter: { resolve: (v: string) => (outcome.value = v), reject: (e: Error) => (outcome.error = (e as { code?: string }).code ?? e.message) } };
}

const at = (i: number) => Index.of(i);
const term = (t: number) => Term.of(t);

describe("PendingProposals", () => {
  // A leader whose log a newer leader cut back proposes at an index again, while
  // another node still holds its first entry there and may yet commit it.
  it("keeps proposals at one index in different terms until that index applies, and resolves the one that did", () => {
    for (const applied of [1, 3]) {
      const p = new PendingProposals<string>();
      const first = waiter();
      const second = waiter();
      p.add(at(5), term(1), first.waiter);
      p.add(at(5), term(3), second.waiter);
      expect(p.size).toBe(2);
      expect(first.outcome, "the later proposal does not settle the earlier").toEqual({});
      p.settle(at(5), term(applied), "done", "normal");
      expect(p.size).toBe(0);
      expect(first.outcome).toEqual(applied === 1 ? { value: "done" } : { error: "ProposalDropped" });
      expect(second.outcome).toEqual(applied === 3 ? { value: "done" } : { error: "ProposalDropped" });
    }
  });

  it("ends the wait of one proposal at a shared index without touching the other", () => {
    const clock = new SimClock();
    const p = new PendingProposals<string>();
    const first = waiter();
    const second = waiter();
    p.add(at(5), term(1), first.waiter);
    p.bound(at(5), { clock, timeoutMs: 100 });
    p.add(at(5), term(3), second.waiter);
    p.bound(at(5), { clock, timeoutMs: 1_000 });
    clock.advanceTo(100);
    expect(first.outcome).toEqual({ error: "Timeout" });
    expect(p.size).toBe(1);
    p.settle(at(5), term(3), "done", "normal");
    expect(second.outcome).toEqual({ value: "done" });
    clock.advanceTo(1_000);
    expect(second.outcome, "its timer was cancelled").toEqual({ value: "done" });
  });

  it("after an installed snapshot: what it covers is unknown, and proposals of older terms after it are dropped", () => {
    const p = new PendingProposals<string>();
    const covered = waiter();
    const older = waiter();
    const current = waiter();
    p.add(at(10), term(1), covered.waiter);
    p.add(at(12), term(1), older.waiter);
    p.add(at(13), term(3), current.waiter);
    // A leader of term 2 committed up to 11, and this node (term 1's partitioned leader) installed its snapshot.
    p.coveredBySnapshot(at(11), term(2));
    expect(covered.outcome).toEqual({ error: "Unavailable" });
    expect(older.outcome).toEqual({ error: "ProposalDropped" });
    expect(current.outcome).toEqual({});
    expect(p.size).toBe(1);
  });

  it("drops the proposals of older terms once an entry of a newer term applies, at every index", () => {
    const p = new PendingProposals<string>();
    const old = waiter();
    const current = waiter();
    p.add(at(7), term(1), old.waiter);
    p.add(at(7), term(3), current.waiter);
    p.settle(at(6), term(2), undefined, "noop");
    expect(old.outcome).toEqual({ error: "ProposalDropped" });
    expect(current.outcome).toEqual({});
    expect(p.size).toBe(1);
  });
});
