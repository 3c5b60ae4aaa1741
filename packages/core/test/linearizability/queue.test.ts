import { describe, expect, it } from "vitest";
import { checkLinearizability, linearizabilityReport, type Model, type Operation } from "../../src/testing/index.js";

// A FIFO queue, the running example of Herlihy & Wing's paper: the kit knows nothing of it, a test can bring it.
type QueueInput = { readonly op: "enq"; readonly value: string } | { readonly op: "deq" };
type QueueOutput = string | null; // what deq took; null: the queue was empty

const queue: Model<readonly string[], QueueInput, QueueOutput> = {
  init: () => [],
  step(state, input, output) {
    if (input.op === "enq") return { ok: true, state: [...state, input.value] };
    const head = state[0] ?? null;
    if (output !== undefined && output !== head) return { ok: false };
    return { ok: true, state: state.slice(1) };
  },
  equal: (a, b) => a.length === b.length && a.every((v, i) => v === b[i]),
  hash: (state) => state.join("\u0000"),
  describeOperation: (input, output) => (input.op === "enq" ? `enq(${input.value})` : `deq() → ${output ?? "empty"}`),
  describeState: (state) => `[${state.join(", ")}]`,
};

type QueueOp = Operation<QueueInput, QueueOutput>;
const enq = (client: string, value: string, invokedAt: number, completedAt: number): QueueOp => ({ client, input: { op: "enq", value }, invokedAt, completedAt });
const deq = (client: string, output: QueueOutput, invokedAt: number, completedAt: number): QueueOp => ({ client, input: { op: "deq" }, output, invokedAt, completedAt });

describe("a queue model brought by the test", () => {
  it("accepts Herlihy & Wing's linearizable queue history (H1)", () => {
    // A: enq(x) overlaps B: enq(y); B's deq returns x, A's deq returns y.
    const history = [enq("A", "x", 0, 10), enq("B", "y", 2, 6), deq("B", "x", 7, 12), deq("A", "y", 11, 15)];
    expect(checkLinearizability(queue, history).verdict).toBe("ok");
  });

  it("rejects a dequeue order that contradicts the real-time order of the enqueues (H2)", () => {
    // enq(x) completes before enq(y) begins, yet y comes out first.
    const history = [enq("A", "x", 0, 5), enq("B", "y", 6, 10), deq("A", "y", 11, 15)];
    const result = checkLinearizability(queue, history);
    expect(result.verdict).toBe("illegal");
    if (result.verdict !== "illegal") return;
    expect(result.failure.state).toEqual(["x", "y"]);
    expect(result.failure.blocking).toBe(history[2]);
    expect(linearizabilityReport(queue, result)).toContain("deq() → y");
  });

  it("rejects a value dequeued twice and accepts an empty dequeue concurrent with the enqueue", () => {
    expect(checkLinearizability(queue, [enq("A", "x", 0, 5), deq("B", "x", 6, 8), deq("C", "x", 7, 9)]).verdict).toBe("illegal");
    expect(checkLinearizability(queue, [enq("A", "x", 0, 5), deq("B", null, 1, 3), deq("B", "x", 6, 8)]).verdict).toBe("ok");
    expect(checkLinearizability(queue, [enq("A", "x", 0, 5), deq("B", null, 6, 8)]).verdict).toBe("illegal");
  });
});
