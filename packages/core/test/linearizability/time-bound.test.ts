import { describe, expect, it } from "vitest";
import { checkLinearizability, registerModel, type Operation, type RegisterInput, type RegisterOutput } from "../../src/testing/index.js";

type RegisterOp = Operation<RegisterInput<number>, RegisterOutput<number>>;

/**
 * n concurrent writes of distinct values, then a read of a value none wrote:
 * not linearizable, but the search only knows once it has tried every
 * (set of writes, last value) pair, about n·2ⁿ of them.
 */
function pathological(n: number): RegisterOp[] {
  const history: RegisterOp[] = [];
  for (let i = 1; i <= n; i++) history.push({ client: i, input: { op: "write", value: i }, invokedAt: 0, completedAt: 100 });
  history.push({ client: 0, input: { op: "read" }, output: -1, invokedAt: 101, completedAt: 102 });
  return history;
}

describe("the time bound", () => {
  it("answers unknown instead of hanging", () => {
    const started = performance.now();
    const result = checkLinearizability(registerModel(0), pathological(40), { timeoutMs: 200 });
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ verdict: "unknown", checked: 0, partitions: 1, operations: 41 });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(2_000);
  });

  it("is checked deep inside a large history too", () => {
    // 20,000 operations that linearize one by one, then the pathological block.
    const history: RegisterOp[] = [];
    for (let i = 0; i < 10_000; i++) {
      history.push({ client: 0, input: { op: "write", value: i + 1000 }, invokedAt: 3 * i, completedAt: 3 * i + 1 });
      history.push({ client: 1, input: { op: "read" }, output: i + 1000, invokedAt: 3 * i + 2, completedAt: 3 * i + 2 });
    }
    const start = 30_000;
    for (const op of pathological(40)) history.push({ ...op, invokedAt: op.invokedAt + start, completedAt: (op.completedAt ?? 0) + start });
    const result = checkLinearizability(registerModel(0), history, { timeoutMs: 300 });
    expect(result.verdict).toBe("unknown");
    expect(result.elapsedMs).toBeLessThan(2_000);
  });

  it("is enough for the same shape when it is small", () => {
    expect(checkLinearizability(registerModel(0), pathological(8), { timeoutMs: 10_000 }).verdict).toBe("illegal");
  });
});
