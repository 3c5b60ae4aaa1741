import { describe, expect, it } from "vitest";
import { bankModel, checkLinearizability, linearizabilityReport, type BankInput, type BankOutput, type Operation } from "../../src/testing/index.js";

type BankOp = Operation<BankInput, BankOutput>;
const bank = bankModel({ alice: 100, bob: 50 });

const transfer = (client: number, from: string, to: string, amount: number, output: BankOutput | undefined, invokedAt: number, completedAt?: number): BankOp => ({
  client,
  input: { type: "transfer", from, to, amount },
  output,
  invokedAt,
  completedAt,
});
const balances = (client: number, accounts: Record<string, number>, invokedAt: number, completedAt: number): BankOp => ({
  client,
  input: { type: "balances" },
  output: { ok: true, accounts },
  invokedAt,
  completedAt,
});
const balance = (client: number, id: string, output: BankOutput, invokedAt: number, completedAt: number): BankOp => ({ client, input: { type: "balance", id }, output, invokedAt, completedAt });
const ok: BankOutput = { ok: true };

describe("bank histories", () => {
  it("accepts reads that see each transfer whole, before or after", () => {
    const history = [
      transfer(1, "alice", "bob", 30, ok, 0, 10),
      transfer(2, "bob", "alice", 70, ok, 2, 12), // only possible after the first: bob has 50
      balances(3, { alice: 100, bob: 50 }, 1, 3),
      balances(4, { alice: 70, bob: 80 }, 4, 11),
      balances(3, { alice: 140, bob: 10 }, 13, 14),
      balance(4, "bob", { ok: true, balance: 10 }, 15, 16),
    ];
    expect(checkLinearizability(bank, history).verdict).toBe("ok");
  });

  it("rejects a read that sees money in flight (the total does not add up)", () => {
    const history = [transfer(1, "alice", "bob", 30, ok, 0, 10), balances(2, { alice: 70, bob: 50 }, 2, 8)];
    const result = checkLinearizability(bank, history);
    expect(result.verdict).toBe("illegal");
    if (result.verdict !== "illegal") return;
    expect(result.failure.blocking).toBe(history[1]);
    const report = linearizabilityReport(bank, result);
    expect(report).toContain("balances() → {alice: 70, bob: 50} (total 120)");
    expect(report).toContain("(total 150)");
  });

  it("knows refusals change nothing, and when they are due", () => {
    const refused: BankOutput = { ok: false, error: "InsufficientFunds" };
    const fine = [transfer(1, "bob", "alice", 80, refused, 0, 5), balances(2, { alice: 100, bob: 50 }, 6, 7)];
    expect(checkLinearizability(bank, fine).verdict).toBe("ok");
    // bob could pay 80 once alice's 30 arrived; a refusal after that is not linearizable.
    const late = [transfer(1, "alice", "bob", 30, ok, 0, 5), transfer(2, "bob", "alice", 80, refused, 6, 10)];
    expect(checkLinearizability(bank, late).verdict).toBe("illegal");
    // Concurrent with it, the refusal can go first.
    expect(checkLinearizability(bank, [transfer(1, "alice", "bob", 30, ok, 0, 5), transfer(2, "bob", "alice", 80, refused, 3, 10)]).verdict).toBe("ok");
    expect(checkLinearizability(bank, [transfer(1, "alice", "carol", 1, { ok: false, error: "UnknownAccount" }, 0, 1)]).verdict).toBe("ok");
    expect(checkLinearizability(bank, [transfer(1, "alice", "carol", 1, ok, 0, 1)]).verdict).toBe("illegal");
  });

  it("opens accounts, which changes the total, once", () => {
    const history: BankOp[] = [
      { client: 1, input: { type: "open", id: "carol", balance: 10 }, output: ok, invokedAt: 0, completedAt: 5 },
      { client: 2, input: { type: "open", id: "carol", balance: 99 }, output: { ok: false, error: "AccountExists" }, invokedAt: 1, completedAt: 6 },
      balance(3, "carol", { ok: false, error: "UnknownAccount" }, 0, 2),
      transfer(3, "carol", "alice", 10, ok, 7, 8),
      balances(1, { alice: 110, bob: 50, carol: 0 }, 9, 10),
    ];
    expect(checkLinearizability(bank, history).verdict).toBe("ok");
    expect(checkLinearizability(bank, [...history, balance(2, "carol", { ok: true, balance: 10 }, 11, 12)]).verdict).toBe("illegal");
  });

  it("resolves transfers of unknown outcome from what reads saw", () => {
    const history = [transfer(1, "alice", "bob", 30, undefined, 0), balances(2, { alice: 100, bob: 50 }, 5, 6), balances(2, { alice: 70, bob: 80 }, 7, 8)];
    expect(checkLinearizability(bank, history).verdict).toBe("ok");
    expect(checkLinearizability(bank, [...history, balances(2, { alice: 100, bob: 50 }, 9, 10)]).verdict).toBe("illegal");
  });

  it("conserves the total across many concurrent transfers and reads", () => {
    // Eight clients pass money around a ring, one hop at a time, each reading all balances in between.
    const accounts = ["a", "b", "c", "d"];
    const ring = bankModel(Object.fromEntries(accounts.map((id) => [id, 1_000])));
    const held = new Map(accounts.map((id) => [id, 1_000]));
    const history: BankOp[] = [];
    let t = 0;
    for (let round = 0; round < 60; round++) {
      for (let c = 0; c < 8; c++) {
        const from = accounts[(round + c) % 4] as string;
        const to = accounts[(round + c + 1) % 4] as string;
        const amount = 1 + ((round * 7 + c) % 13);
        // Operations of a round overlap; each takes effect at its invocation, in client order.
        held.set(from, (held.get(from) ?? 0) - amount);
        held.set(to, (held.get(to) ?? 0) + amount);
        history.push(transfer(c, from, to, amount, ok, t + c, t + 20));
      }
      history.push(balances(8, Object.fromEntries(held), t + 10, t + 25));
      t += 30;
    }
    expect(checkLinearizability(ring, history).verdict).toBe("ok");
    // One read that lost a single unit of money.
    const last = history.at(-1) as BankOp;
    const lost = { ...last, output: { ok: true as const, accounts: { ...Object.fromEntries(held), a: (held.get("a") ?? 0) - 1 } } };
    expect(checkLinearizability(ring, [...history.slice(0, -1), lost]).verdict).toBe("illegal");
  });
});
