import { describe, expect, it } from "vitest";
import { Prng } from "../../src/engine/index.js";
import { checkLinearizability, kvModel, linearizabilityReport, type KvInput, type KvOutput, type Operation } from "../../src/testing/index.js";

type KvOp = Operation<KvInput, KvOutput>;
const kv = kvModel();
const put = (client: number, key: string, value: string, invokedAt: number, completedAt: number): KvOp => ({ client, input: { op: "put", key, value }, invokedAt, completedAt });
const append = (client: number, key: string, value: string, invokedAt: number, completedAt?: number): KvOp => ({ client, input: { op: "append", key, value }, invokedAt, completedAt });
const get = (client: number, key: string, output: KvOutput, invokedAt: number, completedAt: number): KvOp => ({ client, input: { op: "get", key }, output, invokedAt, completedAt });

/**
 * A linearizable execution by construction: each operation takes effect at a random instant
 * between its invocation and completion, and outputs come from applying them in that order.
 */
function simulate(seed: number, clients: number, perClient: number, keys: number): KvOp[] {
  const prng = new Prng(seed);
  const planned: { op: Omit<KvOp, "output">; at: number }[] = [];
  for (let c = 0; c < clients; c++) {
    let t = prng.int(0, 10);
    for (let i = 0; i < perClient; i++) {
      const key = `k${prng.int(0, keys)}`;
      const r = prng.next();
      const input: KvInput = r < 0.5 ? { op: "get", key } : r < 0.75 ? { op: "put", key, value: `${c}.${i}` } : { op: "append", key, value: `+${c}.${i}` };
      const invokedAt = t;
      const completedAt = t + prng.int(1, 30);
      planned.push({ op: { client: c, input, invokedAt, completedAt }, at: prng.int(invokedAt * 4, completedAt * 4 + 1) + prng.next() });
      t = completedAt + prng.int(0, 5);
    }
  }
  const store = new Map<string, string>();
  return planned
    .sort((a, b) => a.at - b.at)
    .map(({ op }): KvOp => {
      const { input } = op;
      if (input.op === "get") return { ...op, output: store.get(input.key) ?? null };
      store.set(input.key, input.op === "put" ? input.value : (store.get(input.key) ?? "") + input.value);
      return op;
    })
    .sort((a, b) => a.invokedAt - b.invokedAt);
}

describe("key-value histories, checked key by key", () => {
  it("splits the history by key", () => {
    const history = [put(0, "a", "1", 0, 10), put(1, "b", "2", 0, 10), get(2, "a", "1", 11, 12), get(2, "b", "2", 13, 14), get(3, "c", null, 0, 1)];
    const result = checkLinearizability(kv, history);
    expect(result).toMatchObject({ verdict: "ok", partitions: 3, operations: 5 });
  });

  it("names the key whose history fails, and only its operations", () => {
    const history = [
      put(0, "a", "1", 0, 10),
      append(1, "a", "2", 11, 20),
      get(2, "a", "12", 21, 22),
      put(0, "b", "x", 0, 5),
      get(1, "b", "x", 6, 7),
      append(2, "b", "y", 8, 9),
      get(3, "b", "x", 10, 11), // stale: "xy" was complete before this get began
    ];
    const result = checkLinearizability(kv, history);
    expect(result.verdict).toBe("illegal");
    if (result.verdict !== "illegal") return;
    expect(result.failure.operations).toEqual(history.slice(3));
    expect(result.failure.state).toBe("xy");
    expect(result.failure.blocking).toBe(history[6]);
    expect(linearizabilityReport(kv, result)).toContain(`get("b") → "x"`);
  });

  it("lets an append of unknown outcome explain a read", () => {
    const history = [put(0, "a", "1", 0, 1), append(1, "a", "2", 2), get(2, "a", "12", 50, 51), get(3, "a", "12", 60, 61)];
    expect(checkLinearizability(kv, history).verdict).toBe("ok");
    expect(checkLinearizability(kv, [...history, get(4, "a", "1", 70, 71)]).verdict).toBe("illegal");
  });

  it("accepts simulated linearizable executions and finds a stale read injected in them", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const history = simulate(seed, 6, 300, 4);
      expect(checkLinearizability(kv, history, { timeoutMs: 20_000 }).verdict).toBe("ok");
      // Make one late get answer what its key held at the very start.
      const victim = history.findLastIndex((op) => op.input.op === "get" && op.output !== null);
      const bad = history.map((op, i) => (i === victim ? { ...op, output: null } : op));
      const result = checkLinearizability(kv, bad, { timeoutMs: 20_000 });
      expect(result.verdict).toBe("illegal");
      if (result.verdict === "illegal") expect(result.failure.blocking).toBe(bad[victim]);
    }
  });
});
