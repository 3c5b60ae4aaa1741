import { describe, expect, it } from "vitest";
import { checkLinearizability, historyFromEvents, registerModel, type Operation, type RegisterInput, type RegisterOutput } from "../../src/testing/index.js";

type RegisterOp = Operation<RegisterInput<number>, RegisterOutput<number>>;
const register = registerModel(0);
const openWrite = (client: number, value: number, invokedAt: number): RegisterOp => ({ client, input: { op: "write", value }, invokedAt });
const read = (client: number, output: number, invokedAt: number, completedAt: number): RegisterOp => ({ client, input: { op: "read" }, output, invokedAt, completedAt });

describe("operations whose outcome is unknown", () => {
  it("may never take effect", () => {
    expect(checkLinearizability(register, [openWrite(0, 1, 0), read(1, 0, 5, 10), read(1, 0, 50, 60)]).verdict).toBe("ok");
  });

  it("may take effect at any time after their invocation, however late", () => {
    expect(checkLinearizability(register, [openWrite(0, 1, 0), read(1, 0, 5, 10), read(1, 0, 20, 30), read(2, 1, 1000, 1001)]).verdict).toBe("ok");
  });

  it("take effect once: a value seen, then lost, is illegal", () => {
    const history = [openWrite(0, 1, 0), read(1, 1, 10, 20), read(2, 0, 30, 40)];
    const result = checkLinearizability(register, history);
    expect(result.verdict).toBe("illegal");
    if (result.verdict !== "illegal") return;
    expect(result.failure.linearized.map((l) => l.operation)).toEqual([history[0], history[1]]);
    expect(result.failure.blocking).toBe(history[2]);
  });

  it("cannot take effect before their invocation", () => {
    expect(checkLinearizability(register, [read(1, 1, 0, 10), openWrite(0, 1, 11)]).verdict).toBe("illegal");
  });

  it("leave a compare-and-set's effect to the state it finds", () => {
    const history: RegisterOp[] = [
      { client: 0, input: { op: "write", value: 1 }, invokedAt: 0, completedAt: 1 },
      { client: 1, input: { op: "cas", expect: 1, value: 2 }, invokedAt: 2 }, // timed out
      { client: 2, input: { op: "cas", expect: 1, value: 3 }, output: false, invokedAt: 5, completedAt: 6 },
      read(3, 2, 7, 8),
    ];
    expect(checkLinearizability(register, history).verdict).toBe("ok");
    // Had the open cas not swapped, the failed cas would have found 1.
    expect(checkLinearizability(register, [...history.slice(0, 3), read(3, 1, 7, 8)]).verdict).toBe("illegal");
  });

  it("come from info events and unanswered invocations; failed ones are dropped", () => {
    const history = historyFromEvents<RegisterInput<number>, RegisterOutput<number>>([
      { kind: "invoke", client: "a", input: { op: "write", value: 1 } },
      { kind: "info", client: "a" },
      { kind: "invoke", client: "a", input: { op: "write", value: 2 } },
      { kind: "fail", client: "a" },
      { kind: "invoke", client: "b", input: { op: "write", value: 3 } },
      { kind: "invoke", client: "c", input: { op: "read" } },
      { kind: "ok", client: "c", output: 1 },
    ]);
    expect(history).toEqual([
      { client: "a", input: { op: "write", value: 1 }, invokedAt: 0 },
      { client: "b", input: { op: "write", value: 3 }, invokedAt: 4 },
      { client: "c", input: { op: "read" }, invokedAt: 5, output: 1, completedAt: 6 },
    ]);
    expect(checkLinearizability(register, history).verdict).toBe("ok");
    expect(() => historyFromEvents([{ kind: "ok", client: 1, output: 0 }])).toThrow(/completes nothing/);
    expect(() =>
      historyFromEvents([
        { kind: "invoke", client: 1, input: 0 },
        { kind: "invoke", client: 1, input: 0 },
      ]),
    ).toThrow(/pending/);
  });

  it("keep the search cheap when many stay open", () => {
    // 12 writes that never answered, 12 reads that never answered, then reads of a few of their values in an order that works.
    const history: RegisterOp[] = [];
    for (let i = 1; i <= 12; i++) history.push(openWrite(i, i, i));
    for (let i = 1; i <= 12; i++) history.push({ client: 200 + i, input: { op: "read" }, invokedAt: i });
    history.push(read(100, 7, 40, 41), read(100, 3, 42, 43), read(100, 11, 44, 45));
    const result = checkLinearizability(register, history, { timeoutMs: 5_000 });
    expect(result.verdict).toBe("ok");
  });
});
