import { describe, expect, it } from "vitest";
import {
  checkLinearizability,
  kvModel,
  linearizabilityHtml,
  linearizabilityReport,
  registerModel,
  type KvInput,
  type KvOutput,
  type Model,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
} from "../../src/testing/index.js";

type RegisterOp = Operation<RegisterInput<number>, RegisterOutput<number>>;
const register = registerModel(0);
// Porcupine's non-linearizable register history, plus an unrelated earlier write and an open one.
const failing: RegisterOp[] = [
  { client: 9, input: { op: "write", value: 7 }, invokedAt: -20, completedAt: -10 },
  { client: 0, input: { op: "write", value: 200 }, invokedAt: 0, completedAt: 100 },
  { client: 1, input: { op: "read" }, output: 200, invokedAt: 10, completedAt: 30 },
  { client: 2, input: { op: "read" }, output: 0, invokedAt: 40, completedAt: 90 },
  { client: 3, input: { op: "write", value: 200 }, invokedAt: 45 },
];

describe("reports", () => {
  it("tell in text what was linearized and what could not be placed", () => {
    const result = checkLinearizability(register, failing);
    expect(result.verdict).toBe("illegal");
    if (result.verdict !== "illegal") return;
    // The read of 200 fixes the state the failing read starts from, so the window begins with it.
    expect(result.failure.window).toEqual({ from: 10, to: 90, operations: [failing[1], failing[2], failing[3], failing[4]] });
    expect(result.failure.unplaced).toEqual([failing[3]]);
    expect(result.failure.linearized.map((l) => l.operation)).toEqual(failing.slice(0, 3));
    const text = linearizabilityReport(register, result);
    expect(text).toContain("not linearizable");
    expect(text).toContain("longest linearizable prefix: 3 operations");
    expect(text).toContain("3. client 1  [10, 30]  read() → 200  ⇒ 200");
    expect(text).toContain("client 3  [45, …]  write(200)  (outcome unknown)");
    expect(text).toContain("no linearization gets past the completion of: client 2 read() → 0 at 90");
    expect(linearizabilityReport(register, checkLinearizability(register, failing.slice(0, 3)))).toMatch(/^linearizable \(3 operations, 1 part, \d+ ms\)$/);
  });

  it("draw the failing window as a self-contained HTML page", () => {
    const result = checkLinearizability(register, failing);
    const html = linearizabilityHtml(register, result, { title: "register" });
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("Not linearizable");
    // One row per client of the window, a bar per operation, the prefix numbered.
    for (const client of [0, 1, 2, 3]) expect(html).toContain(`<div class="who">client ${client}</div>`);
    expect(html).not.toContain(`<div class="who">client 9</div>`);
    expect(html).toMatch(/class="op blocking"[^>]*><span>read\(\) → 0<\/span>/);
    expect(html).toMatch(/class="op linearized"[^>]*><b class="badge">3<\/b><span>read\(\) → 200<\/span>/);
    expect(html).toMatch(/class="op pending open"[^>]*><span>write\(200\)<\/span>/);
    expect(html).toContain('class="cut"');
    // Nothing fetched: no external script, style, image or font.
    expect(html).not.toMatch(/\b(src|href)=|@import|url\(|https?:\/\//);
    // The inline script parses, and its data is the window's operations.
    const scripts = [...html.matchAll(/<script( type="application\/json" id="ops")?>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(2);
    expect(JSON.parse(scripts[0]?.[2] ?? "")).toHaveLength(4);
    expect(() => new Function(scripts[1]?.[2] ?? "")).not.toThrow();
  });

  it("escape what operations and states say", () => {
    const tricky: Model<string | null, KvInput, KvOutput> = kvModel();
    const history: Operation<KvInput, KvOutput>[] = [
      { client: "<b>", input: { op: "put", key: "k", value: "</script><script>alert(1)</script>" }, invokedAt: 0, completedAt: 1 },
      { client: "c", input: { op: "get", key: "k" }, output: "<i>", invokedAt: 2, completedAt: 3 },
    ];
    const html = linearizabilityHtml(tricky, checkLinearizability(tricky, history));
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<b>");
    expect(html).not.toContain("<i>");
    expect(html).toContain("&#60;i&#62;");
  });

  it("summarize linearizable and unknown verdicts", () => {
    const ok = linearizabilityHtml(register, checkLinearizability(register, failing.slice(0, 3)));
    expect(ok).toContain('<span class="verdict ok">Linearizable</span>');
    expect(ok).not.toContain('class="timeline"');
    const slow: RegisterOp[] = Array.from({ length: 40 }, (_, i) => ({ client: i, input: { op: "write", value: i + 1 }, invokedAt: 0, completedAt: 10 }));
    slow.push({ client: 99, input: { op: "read" }, output: -1, invokedAt: 11, completedAt: 12 });
    const unknown = checkLinearizability(register, slow, { timeoutMs: 50 });
    expect(linearizabilityReport(register, unknown)).toMatch(/^unknown: the time bound ran out with 0 of 1 parts found linearizable/);
    expect(linearizabilityHtml(register, unknown)).toContain("Unknown: the time bound ran out");
  });
});
