import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bankModel, linearizabilityHtml, linearizabilityReport } from "@raft/core/testing";
import { describePlan } from "./fault-runner.js";
import type { ChaosResult } from "./run.js";

const n = (x: number) => x.toLocaleString("en-US");

/** The readable summary of a run: what was done to the cluster, what the clients did, what the checks found. */
export function summary(r: ChaosResult): string {
  const o = r.options;
  const ops = r.history.operations;
  const kinds = (type: string) => ops.filter((op) => op.input.type === type);
  const transfers = r.history.transfers;
  const acked = transfers.filter((t) => t.outcome === "ok").length;
  const refused = transfers.filter((t) => t.outcome !== undefined && t.outcome !== "ok").length;
  const open = transfers.filter((t) => t.outcome === undefined).length;
  const byKind = Object.entries(r.faultCounts)
    .map(([k, c]) => `${k} ${c}`)
    .join(", ");
  const changes = r.faults.filter((f) => f.plan.kind === "add-node" || f.plan.kind === "remove-node" || f.plan.kind === "transfer-leader" || f.plan.kind === "snapshot");
  const okChanges = (kind: string) => `${changes.filter((f) => f.plan.kind === kind && f.outcome?.startsWith("ok") === true).length}/${changes.filter((f) => f.plan.kind === kind).length}`;
  const leadersRemoved = changes.filter((f) => f.plan.kind === "remove-node" && f.outcome?.startsWith("ok") === true && f.outcome.endsWith("(it led)")).length;
  const lin = r.linearizability;
  const lines = [
    `chaos ${r.passed ? "PASSED" : "FAILED"}: seed ${o.seed}, ${o.nodes} nodes over ${o.transport}, ${o.minutes} min of faults, ${(r.elapsedMs / 1000).toFixed(0)} s in all`,
    `  folder: ${o.out}`,
    `  faults: ${r.faults.length} (${byKind || "none"})`,
    `  operations that went through (ok): transfer-leader ${okChanges("transfer-leader")}, snapshot ${okChanges("snapshot")}, add-node ${okChanges("add-node")}, remove-node ${okChanges("remove-node")} (the leader ${leadersRemoved} times); members at the end: ${r.members.join(", ")}`,
    `  operations: ${n(ops.length)} in the history — ${n(kinds("transfer").length)} transfers (${n(acked)} acknowledged, ${n(refused)} refused, ${n(open)} outcome unknown), ${n(kinds("balances").length)} balance reads, ${n(kinds("balance").length)} single-account reads`,
    `  total checked in ${n(r.history.totals.length)} balance reads`,
    `  linearizability: ${lin === undefined ? "not checked (the run stopped first)" : linearizabilityReport(bankModel(), lin).split("\n")[0]}`,
    `  first write after the heal acknowledged in: ${r.recoveryMs === undefined ? "—" : `${(r.recoveryMs / 1000).toFixed(2)} s`}`,
    r.anomalies.length === 0 ? "  anomalies: none" : `  anomalies (${r.anomalies.length}):`,
    ...r.anomalies.slice(0, 50).map((a) => `    [${a.kind}] ${a.detail}`),
  ];
  if (lin?.verdict === "illegal") {
    const w = lin.failure.window;
    lines.push(
      `  first violation: the failing window runs from ${(w.from / 1000).toFixed(3)} s to ${(w.to / 1000).toFixed(3)} s of the run (${w.operations.length} operations); the checker's report:`,
    );
    lines.push(
      ...linearizabilityReport(bankModel(), lin)
        .split("\n")
        .map((l) => `    ${l}`),
    );
  }
  if (!r.passed)
    lines.push(
      `  replay: pnpm chaos --minutes ${o.minutes} --seed ${o.seed} --nodes ${o.nodes} --transport ${o.transport} (the seed fixes the faults and the clients' requests, not the processes' timing)`,
    );
  return lines.join("\n");
}

/**
 * Writes the run's files into its folder: `history.json` (every operation
 * with its times, every transfer sent with what its client was told, the
 * faults), `summary.txt`, `report.html` (the summary, the fault time line,
 * the anomalies) and `linearizability.html` (the checker's page: the failing
 * window drawn on a time line when there is one).
 */
export function writeReport(r: ChaosResult): void {
  const dir = r.options.out;
  const { log: _log, ...options } = r.options;
  writeFileSync(
    join(dir, "history.json"),
    JSON.stringify({ options, passed: r.passed, anomalies: r.anomalies, faults: r.faults, operations: r.history.operations, transfers: r.history.transfers, recoveryMs: r.recoveryMs }),
  );
  const text = summary(r);
  writeFileSync(join(dir, "summary.txt"), `${text}\n${r.passed ? "" : `\nnode output (last lines):\n${r.logTails}`}`);
  if (r.linearizability !== undefined) writeFileSync(join(dir, "linearizability.html"), linearizabilityHtml(bankModel(), r.linearizability, { title: `Chaos seed ${r.options.seed}` }));
  writeFileSync(join(dir, "report.html"), html(r, text));
}

function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}

function html(r: ChaosResult, text: string): string {
  const rows = r.faults
    .map((f) => `<tr><td>${(f.at / 1000).toFixed(1)} s</td><td>${escape(f.plan.kind)}</td><td>${escape(describePlan(f.plan))}</td><td>${escape(f.outcome ?? "")}</td></tr>`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>chaos seed ${r.options.seed}: ${r.passed ? "passed" : "FAILED"}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}
.passed{color:#17713a}.failed{color:#b3261e}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left}</style></head>
<body>
<h1>chaos seed ${r.options.seed}: <span class="${r.passed ? "passed" : "failed"}">${r.passed ? "passed" : "FAILED"}</span></h1>
<pre>${escape(text)}</pre>
<p>${r.linearizability === undefined ? "" : `<a href="linearizability.html">The linearizability check</a> · `}<a href="history.json">history.json</a></p>
<h2>Faults (${r.faults.length})</h2>
<table><tr><th>at</th><th>kind</th><th>what</th><th>outcome</th></tr>
${rows}
</table>
${r.passed ? "" : `<h2>Node output (last lines)</h2><pre>${escape(r.logTails)}</pre>`}
</body>
</html>
`;
}
