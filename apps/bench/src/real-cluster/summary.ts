// From the runs of every round to one figure per system and client count: the
// median over rounds, since the machine's speed swings between minutes.
import type { CpuPerWrite } from "./cpu-meter.js";
import type { LoadResult } from "./load-generator.js";
import { median } from "./stats.js";

export type SystemName = "bank-grpc" | "bank-ws" | "etcd";

export interface Measurement extends LoadResult {
  system: SystemName;
  round: number;
  /** Δ raft_log_syncs_total on the leader / writes in the window (bank only; NaN when not measurable). */
  syncsPerWrite: number;
  /** CPU per write over the window: the cluster's processes and the load generator. */
  cpu: CpuPerWrite;
}

export interface SummaryRow {
  system: SystemName;
  clients: number;
  rounds: number;
  writesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  syncsPerWrite: number;
  cpu: CpuPerWrite;
  /** Summed over rounds, not a median: any error matters. */
  errors: number;
  errorKinds: Record<string, number>;
}

export function summarize(runs: readonly Measurement[]): SummaryRow[] {
  const groups = new Map<string, Measurement[]>();
  for (const run of runs) {
    const key = `${run.system}/${run.clients}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0] as Measurement;
    const errorKinds: Record<string, number> = {};
    for (const run of group) for (const [kind, n] of Object.entries(run.errorKinds)) errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
    return {
      system: first.system,
      clients: first.clients,
      rounds: group.length,
      writesPerSecond: median(group.map((r) => r.writesPerSecond)),
      p50Ms: median(group.map((r) => r.p50Ms)),
      p99Ms: median(group.map((r) => r.p99Ms)),
      syncsPerWrite: median(group.map((r) => r.syncsPerWrite)),
      cpu: {
        clusterUs: median(group.map((r) => r.cpu.clusterUs)),
        busiestUs: median(group.map((r) => r.cpu.busiestUs)),
        loaderUs: median(group.map((r) => r.cpu.loaderUs)),
      },
      errors: group.reduce((sum, r) => sum + r.errors, 0),
      errorKinds,
    };
  });
}

export function rowOf(rows: readonly SummaryRow[], system: SystemName, clients: number): SummaryRow | undefined {
  return rows.find((r) => r.system === system && r.clients === clients);
}
