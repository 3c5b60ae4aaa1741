// packages/core/README.md: checking a history for linearizability.
// #region readme
import { writeFileSync } from "node:fs";
import { checkLinearizability, linearizabilityHtml, linearizabilityReport, registerModel } from "@raft/core/testing";

const register = registerModel(0);
const history = [
  { client: 0, input: { op: "write", value: 200 }, invokedAt: 0, completedAt: 100 },
  { client: 1, input: { op: "read" }, output: 200, invokedAt: 10, completedAt: 30 },
  { client: 2, input: { op: "read" }, output: 0, invokedAt: 40, completedAt: 90 }, // stale
  { client: 3, input: { op: "write", value: 7 }, invokedAt: 50 }, // no answer: open
] as const;
const result = checkLinearizability(register, history, { timeoutMs: 5_000 });
if (result.verdict !== "ok") {
  console.log(linearizabilityReport(register, result));
  writeFileSync("linearizability.html", linearizabilityHtml(register, result));
}
// #endregion
