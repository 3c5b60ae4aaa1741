// The real-cluster benchmark: the 3-process bank cluster as users start it
// (over gRPC, then WebSocket) side by side with a 3-member etcd 3.4, both on
// 127.0.0.1 with fsync on, driven by the same closed-loop HTTP load generator.
// Systems alternate within each round so that the machine's slow and fast
// minutes fall on all of them; each figure is the median over the rounds.
// Env: BENCH_SECONDS, BENCH_REPEATS, BENCH_CLIENTS, BENCH_TRANSPORTS, BENCH_ETCD=0.
import { startBankCluster } from "./bank-cluster.js";
import { BankClient, openAccounts } from "./bank-workload.js";
import { cleanupAll, cleanupOnSignals } from "./cleanup.js";
import { readConfig, type BenchConfig, type Transport } from "./config.js";
import { findEtcd } from "./etcd-binary.js";
import { startEtcdCluster } from "./etcd-cluster.js";
import { EtcdClient } from "./etcd-workload.js";
import { LeaderSyncs } from "./leader-syncs.js";
import { runLoad, type LoadClient } from "./load-generator.js";
import { machineInfo } from "./machine-info.js";
import { CpuMeter } from "./cpu-meter.js";
import { comparisonTable, errorNotes } from "./markdown-report.js";
import { writeResults, type BenchReport } from "./results-files.js";
import { summarize, type Measurement, type SystemName } from "./summary.js";

const config = readConfig();
const startedAt = new Date().toISOString();
const atStart = machineInfo();
cleanupOnSignals();

/**
 * Runs every client count against one started system (its processes `pids`);
 * `client(i, clients)` makes client i's workload.
 */
async function sweep(
  system: SystemName,
  round: number,
  cfg: BenchConfig,
  pids: () => number[],
  client: (i: number, clients: number) => LoadClient,
  syncsOf?: () => LeaderSyncs,
): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const clients of cfg.clients) {
    const syncs = syncsOf?.();
    const cpu = new CpuMeter(pids);
    const result = await runLoad({
      clients,
      warmupMs: cfg.warmupSeconds * 1000,
      measureMs: cfg.seconds * 1000,
      client: (i) => client(i, clients),
      atWindowStart: async () => {
        cpu.atStart();
        await syncs?.atStart();
      },
      atWindowEnd: async () => {
        cpu.atEnd();
        await syncs?.atEnd();
      },
    });
    const m: Measurement = { ...result, system, round, syncsPerWrite: syncs?.perWrite(result.writes) ?? Number.NaN, cpu: cpu.perWrite(result.writes) };
    const syncText = Number.isFinite(m.syncsPerWrite) ? `  syncs/write ${m.syncsPerWrite.toFixed(3)}` : "";
    console.log(
      `  ${system.padEnd(9)} ${String(clients).padStart(4)} clients: ${Math.round(m.writesPerSecond).toLocaleString("en-US").padStart(7)} writes/s  p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms${syncText}  CPU/write ${cpuText(m)}  errors ${m.errors}`,
    );
    out.push(m);
  }
  return out;
}

const cpuText = (m: Measurement) => `${Math.round(m.cpu.clusterUs)} µs cluster (busiest ${Math.round(m.cpu.busiestUs)}), ${Math.round(m.cpu.loaderUs)} µs loader`;

async function bankSweep(transport: Transport, round: number): Promise<Measurement[]> {
  const cluster = await startBankCluster(transport);
  try {
    const accounts = await openAccounts(cluster.urls);
    // Each client count runs once per cluster, so it makes requestIds unique.
    const client = (i: number, clients: number) => new BankClient(i, cluster.urls, accounts, `c${clients}`);
    return await sweep(
      `bank-${transport}`,
      round,
      config,
      () => cluster.pids(),
      client,
      () => new LeaderSyncs(cluster.urls),
    );
  } finally {
    await cluster.stop();
  }
}

async function etcdSweep(binary: string, round: number): Promise<Measurement[]> {
  const cluster = await startEtcdCluster(binary);
  try {
    return await sweep(
      "etcd",
      round,
      config,
      () => cluster.pids(),
      (i) => new EtcdClient(i, cluster.urls),
    );
  } finally {
    await cluster.stop();
  }
}

const etcd = config.etcd ? findEtcd() : { skipped: "BENCH_ETCD=0" };
if ("skipped" in etcd) console.log(`real-cluster: the etcd half is skipped: ${etcd.skipped}`);
console.log(
  `real-cluster: bank over ${config.transports.join(", ")}${"path" in etcd ? ` vs etcd ${etcd.version}` : ""}; clients ${config.clients.join(", ")}; ` +
    `${config.warmupSeconds} s warm-up + ${config.seconds} s each; ${config.repeats} round(s)`,
);

const runs: Measurement[] = [];
const failures: string[] = [];
let bankFailed = false;
try {
  for (let round = 1; round <= config.repeats; round++) {
    // Bank transports with etcd between them, reversed every other round.
    const systems: SystemName[] = config.transports.map((t) => `bank-${t}` as const);
    if ("path" in etcd) systems.splice(1, 0, "etcd");
    if (round % 2 === 0) systems.reverse();
    console.log(`round ${round}/${config.repeats}`);
    for (const system of systems) {
      try {
        if (system === "etcd" && "path" in etcd) runs.push(...(await etcdSweep(etcd.path, round)));
        else if (system !== "etcd") runs.push(...(await bankSweep(system === "bank-grpc" ? "grpc" : "ws", round)));
      } catch (error) {
        const message = `round ${round}, ${system}: ${(error as Error).message}`;
        console.error(`  FAILED ${message}`);
        failures.push(message);
        if (system !== "etcd") bankFailed = true;
      }
    }
  }
} finally {
  await cleanupAll();
}

const summary = summarize(runs);
const report: BenchReport = {
  startedAt,
  finishedAt: new Date().toISOString(),
  config,
  machine: { atStart, atEnd: machineInfo() },
  etcd: "path" in etcd ? { version: etcd.version } : etcd,
  summary,
  runs,
  failures,
};
console.log("");
for (const t of config.transports) console.log(`bank over ${t} vs etcd (median of ${config.repeats}):\n${comparisonTable(summary, t, config.clients)}\n`);
for (const note of errorNotes(summary)) console.log(note);
const files = writeResults(report);
console.log(`results:\n${files.map((f) => `  ${f}`).join("\n")}`);
// A bank sweep that failed fails the bench; etcd's half never does.
if (bankFailed) process.exitCode = 1;
