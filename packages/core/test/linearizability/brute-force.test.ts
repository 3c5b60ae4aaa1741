import { describe, expect, it } from "vitest";
import { Prng } from "../../src/engine/index.js";
import {
  bankModel,
  checkLinearizability,
  kvModel,
  registerModel,
  type BankInput,
  type BankOutput,
  type History,
  type KvInput,
  type KvOutput,
  type Model,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
} from "../../src/testing/index.js";

/** Linearizability by definition: try every order that respects real time, open operations optional. */
function bruteForce<S, I, O>(model: Model<S, I, O>, history: History<I, O>): boolean {
  const go = (left: readonly Operation<I, O>[], state: S): boolean => {
    if (left.every((op) => op.completedAt === undefined)) return true;
    return left.some((op) => {
      // `op` can go next unless an operation still left completed before it was invoked.
      if (left.some((other) => other.completedAt !== undefined && other.completedAt < op.invokedAt)) return false;
      const result = model.step(state, op.input, op.output);
      return (
        result.ok &&
        go(
          left.filter((other) => other !== op),
          result.state,
        )
      );
    });
  };
  return go(history, model.init());
}

type RegisterOp = Operation<RegisterInput<number>, RegisterOutput<number>>;

function randomHistory(prng: Prng, openShare = 0.2): RegisterOp[] {
  const history: RegisterOp[] = [];
  const size = prng.int(1, 8);
  for (let i = 0; i < size; i++) {
    const invokedAt = prng.int(0, 12); // small times, so equal instants are common
    const completedAt = prng.chance(openShare) ? undefined : invokedAt + prng.int(0, 6);
    const r = prng.next();
    const op: RegisterOp =
      r < 0.4
        ? { client: i, input: { op: "read" }, output: prng.int(0, 3), invokedAt, completedAt }
        : r < 0.8
          ? { client: i, input: { op: "write", value: prng.int(0, 3) }, invokedAt, completedAt }
          : { client: i, input: { op: "cas", expect: prng.int(0, 3), value: prng.int(0, 3) }, output: prng.chance(0.5), invokedAt, completedAt };
    history.push(op);
  }
  return history;
}

/** The register with boxed states, remembered through a hash alone (a number or a string) or not at all. */
function boxed(hash: "number" | "string" | "none"): Model<{ readonly v: number }, RegisterInput<number>, RegisterOutput<number>> {
  const inner = registerModel(0);
  return {
    init: () => ({ v: 0 }),
    step(state, input, output) {
      const result = inner.step(state.v, input, output);
      return result.ok ? { ok: true, state: result.state === state.v ? state : { v: result.state } } : result;
    },
    ...(hash === "number" ? { hash: (state) => state.v } : hash === "string" ? { hash: (state) => `v${state.v}` } : {}),
  };
}

describe("the search agrees with the definition", () => {
  it.each([
    ["a primitive state", registerModel(0)],
    ["states told apart by a number hash", boxed("number")],
    ["states told apart by a string hash", boxed("string")],
    ["states never recognised", boxed("none")],
  ] as const)("on 4,000 small random register histories with compare-and-set and open operations: %s", (_, register: Model<unknown, RegisterInput<number>, RegisterOutput<number>>) => {
    const prng = new Prng(20_240_601);
    const verdicts = { ok: 0, illegal: 0 };
    for (let i = 0; i < 4_000; i++) {
      const history = randomHistory(prng);
      const expected = bruteForce(register, history) ? "ok" : "illegal";
      const result = checkLinearizability(register, history);
      if (result.verdict !== expected) expect.fail(`history ${i}: ${JSON.stringify(history)} is ${expected}, the checker says ${result.verdict}`);
      verdicts[expected]++;
      if (result.verdict === "illegal") {
        // The reported prefix is itself a linearization of the operations it names.
        let state = register.init();
        for (const { operation, state: after } of result.failure.linearized) {
          const step = register.step(state, operation.input, operation.output);
          expect(step.ok && JSON.stringify(step.state) === JSON.stringify(after)).toBe(true);
          state = after;
        }
        for (const op of result.failure.unplaced) expect(register.step(state, op.input, op.output).ok).toBe(false);
      }
    }
    // Both verdicts are well represented.
    expect(verdicts.ok).toBeGreaterThan(800);
    expect(verdicts.illegal).toBeGreaterThan(800);
  });
});

describe("the search agrees with the definition when half the operations are open", () => {
  it("on 4,000 small random register histories", () => {
    const prng = new Prng(99);
    const register = registerModel(0);
    for (let i = 0; i < 4_000; i++) {
      const history = randomHistory(prng, 0.5);
      const expected = bruteForce(register, history) ? "ok" : "illegal";
      const result = checkLinearizability(register, history);
      if (result.verdict !== expected) expect.fail(`history ${i}: ${JSON.stringify(history)} is ${expected}, the checker says ${result.verdict}`);
    }
  });
});

describe("the search agrees with the definition on key-value histories", () => {
  it("on 3,000 small random ones of one key, where open writes nobody read are left out", () => {
    const prng = new Prng(7);
    const kv = kvModel();
    const values = ["a", "b", "ab", "ba"];
    const verdicts = { ok: 0, illegal: 0 };
    for (let i = 0; i < 3_000; i++) {
      const history: Operation<KvInput, KvOutput>[] = [];
      const size = prng.int(1, 8);
      for (let c = 0; c < size; c++) {
        const invokedAt = prng.int(0, 12);
        const completedAt = prng.chance(0.3) ? undefined : invokedAt + prng.int(0, 6);
        const r = prng.next();
        const value = values[prng.int(0, values.length)] as string;
        if (r < 0.45) history.push({ client: c, input: { op: "get", key: "k" }, output: prng.chance(0.2) ? null : value, invokedAt, completedAt });
        else history.push({ client: c, input: { op: r < 0.75 ? "put" : "append", key: "k", value: value.slice(0, 1) }, invokedAt, completedAt });
      }
      const expected = bruteForce(kv, history) ? "ok" : "illegal";
      const result = checkLinearizability(kv, history);
      if (result.verdict !== expected) expect.fail(`history ${i}: ${JSON.stringify(history)} is ${expected}, the checker says ${result.verdict}`);
      verdicts[expected]++;
    }
    expect(verdicts.ok).toBeGreaterThan(600);
    expect(verdicts.illegal).toBeGreaterThan(600);
  });
});

describe("the search agrees with the definition on bank histories", () => {
  it("on 2,000 small random ones: object states, remembered by hash and equality", () => {
    const prng = new Prng(3);
    const bank = bankModel({ a: 3, b: 3 });
    const verdicts = { ok: 0, illegal: 0 };
    for (let i = 0; i < 2_000; i++) {
      const history: Operation<BankInput, BankOutput>[] = [];
      const size = prng.int(1, 7);
      for (let c = 0; c < size; c++) {
        const invokedAt = prng.int(0, 10);
        const completedAt = prng.chance(0.25) ? undefined : invokedAt + prng.int(0, 5);
        const r = prng.next();
        const x = prng.int(0, 7);
        if (r < 0.5) {
          const [from, to] = prng.chance(0.5) ? ["a", "b"] : ["b", "a"];
          const output: BankOutput = prng.chance(0.7) ? { ok: true } : { ok: false, error: "InsufficientFunds" };
          history.push({ client: c, input: { type: "transfer", from, to, amount: prng.int(1, 5) }, output, invokedAt, completedAt });
        } else if (r < 0.8) history.push({ client: c, input: { type: "balances" }, output: { ok: true, accounts: { a: x, b: 6 - x } }, invokedAt, completedAt });
        else history.push({ client: c, input: { type: "balance", id: "a" }, output: { ok: true, balance: x }, invokedAt, completedAt });
      }
      const expected = bruteForce(bank, history) ? "ok" : "illegal";
      const result = checkLinearizability(bank, history);
      if (result.verdict !== expected) expect.fail(`history ${i}: ${JSON.stringify(history)} is ${expected}, the checker says ${result.verdict}`);
      verdicts[expected]++;
    }
    expect(verdicts.ok).toBeGreaterThan(300);
    expect(verdicts.illegal).toBeGreaterThan(300);
  });
});
