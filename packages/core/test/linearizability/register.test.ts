import { describe, expect, it } from "vitest";
import { checkLinearizability, historyFromEvents, registerModel, type Operation, type RegisterInput, type RegisterOutput } from "../../src/testing/index.js";

type RegisterOp = Operation<RegisterInput<number>, RegisterOutput<number>>;
const register = registerModel(0);

const write = (client: number, value: number, invokedAt: number, completedAt: number): RegisterOp => ({ client, input: { op: "write", value }, invokedAt, completedAt });
const read = (client: number, output: number, invokedAt: number, completedAt: number): RegisterOp => ({ client, input: { op: "read" }, output, invokedAt, completedAt });
const cas = (client: number, expect: number, value: number, output: boolean, invokedAt: number, completedAt: number): RegisterOp => ({
  client,
  input: { op: "cas", expect, value },
  output,
  invokedAt,
  completedAt,
});

describe("register histories (Porcupine's tests, from the MIT 6.824 2017 quiz 2)", () => {
  it("accepts a read of the new value, then a concurrent read of the old one that began earlier", () => {
    const history = [write(0, 100, 0, 100), read(1, 100, 25, 75), read(2, 0, 30, 60)];
    expect(checkLinearizability(register, history).verdict).toBe("ok");
  });

  it("rejects a read of the old value that begins after a read of the new one completed", () => {
    const history = [write(0, 200, 0, 100), read(1, 200, 10, 30), read(2, 0, 40, 90)];
    const result = checkLinearizability(register, history);
    expect(result.verdict).toBe("illegal");
    if (result.verdict !== "illegal") return;
    expect(result.failure.linearized.map((l) => l.operation)).toEqual([history[0], history[1]]);
    expect(result.failure.blocking).toBe(history[2]);
    expect(result.failure.state).toBe(200);
  });

  it("decides the same histories given as event logs", () => {
    const ok = historyFromEvents<RegisterInput<number>, RegisterOutput<number>>([
      { kind: "invoke", client: 0, input: { op: "write", value: 100 } },
      { kind: "invoke", client: 1, input: { op: "read" } },
      { kind: "invoke", client: 2, input: { op: "read" } },
      { kind: "ok", client: 2, output: 0 },
      { kind: "ok", client: 1, output: 100 },
      { kind: "ok", client: 0, output: 0 },
    ]);
    expect(checkLinearizability(register, ok).verdict).toBe("ok");
    const bad = historyFromEvents<RegisterInput<number>, RegisterOutput<number>>([
      { kind: "invoke", client: 0, input: { op: "write", value: 200 } },
      { kind: "invoke", client: 1, input: { op: "read" } },
      { kind: "ok", client: 1, output: 200 },
      { kind: "invoke", client: 2, input: { op: "read" } },
      { kind: "ok", client: 2, output: 0 },
      { kind: "ok", client: 0, output: 0 },
    ]);
    expect(checkLinearizability(register, bad).verdict).toBe("illegal");
  });

  it("treats operations of zero duration and equal times as overlapping", () => {
    const ok = [write(0, 100, 0, 100), read(1, 100, 25, 75), read(2, 0, 30, 30), read(3, 0, 30, 30)];
    expect(checkLinearizability(register, ok).verdict).toBe("ok");
    const bad = [write(0, 200, 0, 100), read(1, 200, 10, 10), read(2, 200, 10, 10), read(3, 0, 40, 90)];
    expect(checkLinearizability(register, bad).verdict).toBe("illegal");
    // A read invoked at the instant a write completes may still see the old value.
    expect(checkLinearizability(register, [write(0, 1, 0, 10), read(1, 0, 10, 20)]).verdict).toBe("ok");
    expect(checkLinearizability(register, [write(0, 1, 0, 10), read(1, 0, 11, 20)]).verdict).toBe("illegal");
  });

  it("checks compare-and-set against the value it finds", () => {
    const ok = [write(0, 1, 0, 10), cas(1, 1, 2, true, 5, 20), cas(2, 1, 3, false, 6, 25), read(3, 2, 30, 40)];
    expect(checkLinearizability(register, ok).verdict).toBe("ok");
    // Both swaps from 1 cannot succeed: only one of them found 1.
    const bad = [write(0, 1, 0, 10), cas(1, 1, 2, true, 11, 20), cas(2, 1, 3, true, 12, 25)];
    expect(checkLinearizability(register, bad).verdict).toBe("illegal");
  });

  it("orders concurrent writes as the reads require", () => {
    // Four concurrent writes; reads during them pin an order 3, 1, 4, 2.
    const history = [
      write(0, 1, 0, 100),
      write(1, 2, 0, 100),
      write(2, 3, 0, 100),
      write(3, 4, 0, 100),
      read(4, 3, 1, 10),
      read(4, 1, 11, 20),
      read(4, 4, 21, 30),
      read(4, 2, 31, 40),
      read(5, 2, 101, 110),
    ];
    expect(checkLinearizability(register, history).verdict).toBe("ok");
    // Reading 3 again after 1 was read needs a second write of 3.
    const bad = [...history.slice(0, 6), read(4, 3, 21, 30)];
    const result = checkLinearizability(register, bad);
    expect(result.verdict).toBe("illegal");
  });

  it("accepts the empty history", () => {
    expect(checkLinearizability(register, []).verdict).toBe("ok");
  });

  it("refuses malformed times", () => {
    expect(() => checkLinearizability(register, [write(0, 1, 10, 5)])).toThrow(RangeError);
    expect(() => checkLinearizability(register, [write(0, 1, Number.NaN, 5)])).toThrow(RangeError);
    expect(() => checkLinearizability(register, [write(0, 1, 0, Infinity)])).toThrow(/leave it out/);
  });
});
