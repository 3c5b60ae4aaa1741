// Snapshots at scale, across real processes: for each transport (gRPC,
// WebSocket) and store (disk, S3 on a local s3rver), three node processes
// whose state machine holds N MiB generated from a seed (never in memory)
// take a snapshot on the leader; a fourth node process joins, installs it
// (fetched, verified, restored) and answers a linearizable read. One run per
// combination is `apps/cluster-e2e/dist/scale/measure-join.js` in a process
// of its own, which starts and stops (by pid, on failure too) the node
// processes and prints `RESULT <json>`.
//
// Prints per run: seconds from add-learner to installed and MB/s end to end
// (against the targets: ≥ 300 MB/s over gRPC, ≥ 500 MB/s over WebSocket,
// disk to disk), RSS growth of the serving leader and of the joining node
// over their idle level (target ≤ 64 MiB), CPU seconds of the joining node
// (its main thread, and the whole process), bytes the leaders served, and
// for the cut runs what was sent or received twice.
//
// Env: BENCH_SCALE_MIB (sizes, default "256,1024"; 10 GiB: "10240"),
// BENCH_SCALE_TRANSPORTS (default "grpc,ws"), BENCH_SCALE_STORES (default
// "disk,s3"; S3 runs use the largest size only, parts of 5 MiB two at a time), BENCH_SCALE_CUT (default 1:
// one more disk run per transport at the largest size, every socket to the
// joining node reset halfway for 500 ms; 0 to skip), BENCH_DIR (where node
// directories go, default the OS temp dir; a 10 GiB run needs ~25 GiB free).
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { cleanupAll, cleanupOnSignals, onCleanup } from "../real-cluster/cleanup.js";

const MiB = 1 << 20;
const script = fileURLToPath(new URL("../../../cluster-e2e/dist/scale/measure-join.js", import.meta.url));
const sizes = (process.env.BENCH_SCALE_MIB ?? "256,1024")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const transports = (process.env.BENCH_SCALE_TRANSPORTS ?? "grpc,ws").split(",").filter((t): t is Transport => t === "grpc" || t === "ws");
const stores = (process.env.BENCH_SCALE_STORES ?? "disk,s3").split(",").filter((s): s is Store => s === "disk" || s === "s3");
const withCut = process.env.BENCH_SCALE_CUT !== "0";
const targets: Record<Transport, number> = { grpc: 300, ws: 500 };

type Transport = "grpc" | "ws";
type Store = "disk" | "s3";

interface Settings {
  readonly transport: Transport;
  readonly store: Store;
  readonly mib: number;
  readonly fault?: { readonly kind: "cut"; readonly at: number; readonly forMs: number };
  readonly parentDir?: string;
  readonly s3?: { readonly partSize: number; readonly parallelism: number };
}

/** The parts of measure-join's JoinResult this report reads. */
interface Result {
  readonly seconds: number;
  readonly mbPerSecond: number;
  readonly takeMs: number;
  readonly snapshot: { readonly size: number };
  readonly rss: Readonly<Record<string, { readonly idle: number; readonly peak: number; readonly growth: number }>>;
  readonly cpu: { readonly joiner: { readonly process: number; readonly mainThread: number }; readonly leader?: { readonly process: number; readonly mainThread: number } };
  readonly joinerStatus: { readonly snapshots: Readonly<Record<string, number>> };
  readonly leaderStatuses: readonly { readonly snapshots: Readonly<Record<string, number>> }[];
  readonly faultAt?: number;
}

function run(settings: Settings): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(settings)], { stdio: ["ignore", "pipe", "pipe"] });
    const forget = onCleanup(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM"); // measure-join stops its node processes by pid, then exits
      await exited;
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (out += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (err = (err + t).slice(-20_000)));
    child.once("exit", (code) => {
      forget();
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (code === 0 && line !== undefined) resolve(JSON.parse(line.slice("RESULT ".length)) as Result);
      else reject(new Error(`measure-join ${JSON.stringify(settings)} exited with ${code}:\n${err}`));
    });
  });
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mib = (bytes: number) => `${fmt(bytes / MiB, 1)} MiB`;

function row(s: Settings, r: Result): string {
  const sum = (name: string) => r.leaderStatuses.reduce((n, x) => n + (x.snapshots[name] ?? 0), 0);
  const received = r.joinerStatus.snapshots.bytesReceived ?? 0;
  const sent = sum("bytesSent");
  const size = r.snapshot.size;
  const twice = s.fault === undefined ? "" : `sent +${mib(Math.max(0, sent - size))}, received +${mib(Math.max(0, received - size))}`;
  const target = s.store === "disk" ? `${targets[s.transport]}` : "—";
  const cpu = `${fmt(r.cpu.joiner.mainThread, 1)} / ${fmt(r.cpu.joiner.process, 1)}`;
  return `| ${s.transport} | ${s.store} | ${fmt(s.mib)} MiB | ${s.fault === undefined ? "—" : `cut at ${mib(r.faultAt ?? 0)}`} | ${fmt(r.seconds, 1)} | **${fmt(r.mbPerSecond)}** | ${target} | +${mib(r.rss.leader?.growth ?? 0)} | +${mib(r.rss.joiner?.growth ?? 0)} | ${cpu} | ${mib(sent)} | ${twice} |`;
}

cleanupOnSignals();
console.log(
  `snapshots at scale: a 4th node process joins and installs the snapshot (load average ${loadavg()
    .map((l) => fmt(l, 1))
    .join(" ")}, targets on a quiet machine)`,
);
console.log("| transport | store | size | fault | s | MB/s end to end | target | RSS leader | RSS joiner | joiner CPU s (main / all) | leaders served | sent / received twice |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
const largest = Math.max(...sizes);
const parentDir = process.env.BENCH_DIR;
const plan: Settings[] = [];
for (const transport of transports) {
  if (stores.includes("disk")) for (const size of sizes) plan.push({ transport, store: "disk", mib: size });
  if (withCut && stores.includes("disk")) plan.push({ transport, store: "disk", mib: largest, fault: { kind: "cut", at: Math.floor((largest * MiB) / 2), forMs: 500 } });
  // Parts of 5 MiB, two at a time: the joining node's upload into its own prefix holds ~15 MiB (the defaults, 8 MiB × 4, hold ~40).
  if (stores.includes("s3")) plan.push({ transport, store: "s3", mib: largest, s3: { partSize: 5 * MiB, parallelism: 2 } });
}
try {
  for (const settings of plan) {
    const s = parentDir === undefined ? settings : { ...settings, parentDir };
    console.log(row(s, await run(s)));
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
