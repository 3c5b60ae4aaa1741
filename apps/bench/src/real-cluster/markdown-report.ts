// The comparison as markdown tables, one per bank transport against etcd:
// printed to the console and written beside the JSON.
import type { Transport } from "./config.js";
import { rowOf, type SummaryRow } from "./summary.js";

const rate = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "—" : Math.round(n).toLocaleString("en-US"));
const ms = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "—" : n < 10 ? n.toFixed(2) : n.toFixed(1));
const latency = (r: SummaryRow | undefined) => (r === undefined ? "—" : `${ms(r.p50Ms)} / ${ms(r.p99Ms)}`);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? "—" : `${(a / b).toFixed(2)}×`);
const syncs = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(3));
const us = (n: number) => (Number.isFinite(n) ? Math.round(n).toString() : "—");
const cpu = (r: SummaryRow | undefined) => (r === undefined ? "—" : `${us(r.cpu.clusterUs)} (${us(r.cpu.busiestUs)}) / ${us(r.cpu.loaderUs)}`);

export function comparisonTable(rows: readonly SummaryRow[], transport: Transport, clients: readonly number[]): string {
  const bank = `bank-${transport}` as const;
  const lines = [
    `| clients | ${bank} writes/s | etcd writes/s | ratio bank/etcd | ${bank} p50 / p99 ms | etcd p50 / p99 ms | leader syncs per bank write | CPU µs per write, bank: cluster (busiest process) / loader | the same, etcd | errors bank / etcd |`,
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const n of clients) {
    const b = rowOf(rows, bank, n);
    const e = rowOf(rows, "etcd", n);
    lines.push(
      `| ${n} | ${rate(b?.writesPerSecond)} | ${rate(e?.writesPerSecond)} | ${ratio(b?.writesPerSecond, e?.writesPerSecond)} | ${latency(b)} | ${latency(e)} | ${syncs(b?.syncsPerWrite)} | ${cpu(b)} | ${cpu(e)} | ${b?.errors ?? "—"} / ${e?.errors ?? "—"} |`,
    );
  }
  return lines.join("\n");
}

/** Error reasons by system, when there were any (a run with errors is not a clean figure). */
export function errorNotes(rows: readonly SummaryRow[]): string[] {
  return rows
    .filter((r) => r.errors > 0)
    .map(
      (r) =>
        `- ${r.system}, ${r.clients} clients: ${Object.entries(r.errorKinds)
          .map(([k, n]) => `${n}× ${k}`)
          .join(", ")}`,
    );
}
