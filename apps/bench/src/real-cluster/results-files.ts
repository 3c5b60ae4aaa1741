// Writes one run's figures as JSON (everything), markdown (the tables) and SVG
// (the chart) under apps/bench/bench/results/, which git ignores.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchConfig } from "./config.js";
import type { MachineInfo } from "./machine-info.js";
import { comparisonTable, errorNotes } from "./markdown-report.js";
import { rowOf, type Measurement, type SummaryRow, type SystemName } from "./summary.js";
import { lineChart } from "./svg-chart.js";

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  config: BenchConfig;
  machine: { atStart: MachineInfo; atEnd: MachineInfo };
  etcd: { version: string } | { skipped: string };
  summary: SummaryRow[];
  runs: Measurement[];
  failures: string[];
}

const resultsDir = fileURLToPath(new URL("../../bench/results/", import.meta.url));
const colors: Record<SystemName, string> = { "bank-grpc": "#1f77b4", "bank-ws": "#2ca02c", etcd: "#d62728" };

export function markdown(report: BenchReport): string {
  const { config, machine } = report;
  const etcd = "skipped" in report.etcd ? `skipped (${report.etcd.skipped})` : report.etcd.version;
  const notes = errorNotes(report.summary);
  return [
    `# Real-cluster benchmark, ${report.startedAt}`,
    "",
    `3-node bank (\`bank-demo cluster\`: SQLite log, synchronous=FULL, disk snapshots) against 3-member etcd ${etcd}, on 127.0.0.1.`,
    `Closed loop over HTTP/1.1 keep-alive; ${config.warmupSeconds} s warm-up, ${config.seconds} s measured; median of ${config.repeats} round(s).`,
    `Machine: ${machine.atStart.cpus} × ${machine.atStart.cpuModel}, ${machine.atStart.memoryGiB} GiB, Node ${machine.atStart.node}; load average ${machine.atStart.loadAverage.join(" ")} at start, ${machine.atEnd.loadAverage.join(" ")} at end.`,
    "",
    ...config.transports.flatMap((t) => [`## bank over ${t === "grpc" ? "gRPC" : "WebSocket"} vs etcd`, "", comparisonTable(report.summary, t, config.clients), ""]),
    ...(notes.length > 0 ? ["## Errors", "", ...notes, ""] : []),
    ...(report.failures.length > 0 ? ["## Failed sweeps", "", ...report.failures.map((f) => `- ${f}`), ""] : []),
  ].join("\n");
}

/** Writes the three files; returns their paths. */
export function writeResults(report: BenchReport): string[] {
  mkdirSync(resultsDir, { recursive: true });
  const stem = join(resultsDir, report.startedAt.replace(/[:.]/g, "-"));
  const systems = systemsOf(report).filter((s) => report.summary.some((r) => r.system === s));
  const chart = lineChart(
    "Writes/s against concurrent clients (3 nodes, fsync on)",
    report.config.clients,
    systems.map((s) => ({ name: s, color: colors[s], points: report.config.clients.map((x) => ({ x, y: rowOf(report.summary, s, x)?.writesPerSecond ?? Number.NaN })) })),
  );
  const files: [string, string][] = [
    [`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`],
    [`${stem}.md`, markdown(report)],
    [`${stem}.svg`, chart],
  ];
  for (const [path, text] of files) writeFileSync(path, text);
  return files.map(([path]) => path);
}

function systemsOf(report: BenchReport): SystemName[] {
  return [...report.config.transports.map((t) => `bank-${t}` as const), "etcd"];
}
