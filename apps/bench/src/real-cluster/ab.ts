// Before/after on the real cluster. This machine's speed swings by 2x from
// one minute to the next, more than most changes are worth, so two whole
// benchmark runs in turn cannot tell a 5 % change from noise. Here two bank
// clusters run at once, A and B (another checkout's build, or extra
// environment), and the load alternates between them in short windows (A B,
// then B A): each pair shares its minute of the machine, and the figure is
// the ratio B/A over the pairs, after one uncounted window on each. The idle
// cluster only sends heartbeats.
// Env: BENCH_AB_A_CLI / BENCH_AB_B_CLI (a bank-demo dist/cli.js; default
// this checkout's), BENCH_AB_A_ENV / BENCH_AB_B_ENV ("NAME=value ..." for that
// cluster's processes), BENCH_AB_TRANSPORT (grpc), BENCH_CLIENTS (64,256),
// BENCH_SECONDS (window, 3), BENCH_REPEATS (pairs, 8).
import { startBankCluster, type BankBuild, type BankCluster } from "./bank-cluster.js";
import { BankClient, openAccounts } from "./bank-workload.js";
import { cleanupAll, cleanupOnSignals } from "./cleanup.js";
import { readConfig, type Transport } from "./config.js";
import { CpuMeter } from "./cpu-meter.js";
import { runLoad } from "./load-generator.js";
import { median } from "./stats.js";

interface Side {
  cluster: BankCluster;
  accounts: string[];
}

interface Window {
  writesPerSecond: number;
  p50Ms: number;
  clusterUsPerWrite: number;
}

/** "NAME=value NAME2=value2" as an environment. */
function parseEnv(name: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of (process.env[name] ?? "").split(/\s+/).filter((p) => p !== "")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`${name}: "${pair}" is not NAME=value`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function build(side: "A" | "B"): BankBuild {
  return { cli: process.env[`BENCH_AB_${side}_CLI`] || undefined, env: parseEnv(`BENCH_AB_${side}_ENV`) };
}

async function start(name: "A" | "B", transport: Transport): Promise<Side> {
  const cluster = await startBankCluster(transport, build(name));
  return { cluster, accounts: await openAccounts(cluster.urls) };
}

let windows = 0;

async function measure(side: Side, clients: number, seconds: number): Promise<Window> {
  const cpu = new CpuMeter(() => side.cluster.pids());
  const tag = `ab${windows++}`;
  const r = await runLoad({
    clients,
    warmupMs: 700,
    measureMs: seconds * 1000,
    client: (i) => new BankClient(i, side.cluster.urls, side.accounts, tag),
    atWindowStart: async () => cpu.atStart(),
    atWindowEnd: async () => cpu.atEnd(),
  });
  return { writesPerSecond: r.writesPerSecond, p50Ms: r.p50Ms, clusterUsPerWrite: cpu.perWrite(r.writes).clusterUs };
}

const geomean = (xs: readonly number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

function summary(clients: number, writes: number[], cpu: number[]): string {
  const above = writes.filter((r) => r > 1).length;
  return `${clients} clients, B/A over ${writes.length} pairs: writes/s geomean ${geomean(writes).toFixed(3)}, median ${median(writes).toFixed(3)}, B ahead in ${above}; cluster CPU per write geomean ${geomean(cpu).toFixed(3)}, median ${median(cpu).toFixed(3)}`;
}

async function main(): Promise<void> {
  const config = readConfig();
  const transport = (process.env.BENCH_AB_TRANSPORT ?? "grpc") as Transport;
  if (transport !== "grpc" && transport !== "ws") throw new Error(`BENCH_AB_TRANSPORT=${transport}: expected grpc or ws`);
  const clientCounts = process.env.BENCH_CLIENTS === undefined ? [64, 256] : config.clients;
  const seconds = process.env.BENCH_SECONDS === undefined ? 3 : config.seconds;
  const pairs = process.env.BENCH_REPEATS === undefined ? 8 : config.repeats;
  console.log(`real-cluster A/B over ${transport}: A ${JSON.stringify(build("A"))}, B ${JSON.stringify(build("B"))}; ${pairs} pairs of ${seconds} s windows`);
  const a = await start("A", transport);
  const b = await start("B", transport);
  const summaries: string[] = [];
  try {
    // A window on each first, not counted: a fresh process runs slower until its hot code is compiled.
    for (const side of [a, b]) await measure(side, clientCounts[0] as number, seconds);
    for (const clients of clientCounts) {
      const writes: number[] = [];
      const cpu: number[] = [];
      for (let pair = 0; pair < pairs; pair++) {
        const got = new Map<Side, Window>();
        for (const side of pair % 2 === 0 ? [a, b] : [b, a]) got.set(side, await measure(side, clients, seconds));
        const [wa, wb] = [got.get(a) as Window, got.get(b) as Window];
        writes.push(wb.writesPerSecond / wa.writesPerSecond);
        cpu.push(wb.clusterUsPerWrite / wa.clusterUsPerWrite);
        const show = (w: Window) => `${Math.round(w.writesPerSecond).toLocaleString("en-US").padStart(7)} writes/s, p50 ${w.p50Ms.toFixed(2)} ms, ${w.clusterUsPerWrite.toFixed(0)} µs/write`;
        console.log(`  ${String(clients).padStart(4)} clients  A ${show(wa)} | B ${show(wb)} | B/A ${(writes.at(-1) as number).toFixed(3)}`);
      }
      summaries.push(summary(clients, writes, cpu));
      console.log(summaries.at(-1));
    }
  } finally {
    await Promise.all([a.cluster.stop(), b.cluster.stop()]);
  }
  console.log(`\n${summaries.join("\n")}`);
}

cleanupOnSignals();
main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  await cleanupAll();
  process.exitCode = 1;
});
