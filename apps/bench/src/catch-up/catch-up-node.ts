// One Raft node per process for the catch-up benchmark: RaftNode with the
// SQLite log (synchronous=FULL), disk snapshots (never taken: snapshots are
// off, so a lagging follower must catch up from the log) and gRPC or
// WebSocket, over a counter state machine. Driven by its parent over IPC
// (protocol.ts). Usage: node catch-up-node.js '<NodeProcessConfig JSON>'.
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { RaftNode } from "@raft/core/runtime";
import { SqliteLogStore } from "@raft/log-sqlite";
import { DiskSnapshotStore } from "@raft/snapshot-store-disk";
import { GrpcTransport } from "@raft/transport-grpc";
import { WsTransport } from "@raft/transport-ws";
import type { NodeProcessConfig, NodeState, ProposerReport, Reply, Request } from "./protocol.js";
import { Counter } from "../counter.js";
import { ReadMeter } from "./read-meter.js";

const config = JSON.parse(process.argv[2] ?? "") as NodeProcessConfig;
const reads = new ReadMeter();
const transportOptions = { id: config.id, clusterId: "bench-catch-up", listen: { host: "127.0.0.1", port: config.port }, peers: config.peers };
const node = new RaftNode<number>({
  id: config.id,
  voters: config.voters,
  // Snapshots off (by entries and by bytes): the follower catches up from the log.
  snapshotEntries: 0,
  snapshotLogBytes: 0,
  // BENCH_CATCHUP_READ_ENTRIES: the leader's per-turn storage read budget in entries (to compare settings).
  ...(process.env.BENCH_CATCHUP_READ_ENTRIES === undefined ? {} : { maxCatchUpReadEntries: Number(process.env.BENCH_CATCHUP_READ_ENTRIES) }),
  // BENCH_CATCHUP_RATE: the leader's catch-up pacing in bytes per second (0: unpaced; default the node's).
  ...(process.env.BENCH_CATCHUP_RATE === undefined ? {} : { catchUpMaxBytesPerSecond: Number(process.env.BENCH_CATCHUP_RATE) }),
  // BENCH_CATCHUP_READ_AHEAD=0: catch-up reads on the main thread, as before the store read ahead.
  log: reads.wrap(await SqliteLogStore.open({ path: join(config.dir, "raft.db"), synchronous: "FULL" }), process.env.BENCH_CATCHUP_READ_AHEAD !== "0"),
  snapshots: await DiskSnapshotStore.open({ dir: join(config.dir, "snapshots") }),
  stateMachine: new Counter(),
  transport: config.transport === "grpc" ? await GrpcTransport.listen(transportOptions) : await WsTransport.listen(transportOptions),
});
node.on("error", ({ error }) => console.error(`node ${config.id} stopped on an error: ${error.message}`));
await node.start();

const payload = new Uint8Array(config.entryBytes).fill(120);

function state(): NodeState {
  const s = node.status();
  return { id: config.id, role: s.role, term: s.term, leader: s.leader, commit: s.commit, applied: s.applied, lastIndex: s.lastIndex, pacedMs: s.catchUp.pacedMs };
}

async function fill(count: number, inFlight: number): Promise<{ seconds: number }> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await node.propose(payload);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return { seconds: (performance.now() - start) / 1000 };
}

/** One closed-loop proposer and the loop-delay histogram over the same time. */
class Proposer {
  private readonly latencies: number[] = [];
  private stopping = false;
  private readonly loop = monitorEventLoopDelay({ resolution: 10 });
  private readonly started = performance.now();
  private readonly cpuAtStart = process.cpuUsage();
  private readonly done: Promise<void>;

  constructor() {
    reads.take();
    this.loop.enable();
    this.done = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const t0 = performance.now();
      await node.propose(payload);
      this.latencies.push(performance.now() - t0);
    }
  }

  async stop(): Promise<ProposerReport> {
    this.stopping = true;
    await this.done;
    this.loop.disable();
    const seconds = (performance.now() - this.started) / 1000;
    const cpu = process.cpuUsage(this.cpuAtStart);
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
    return {
      seconds,
      writes: sorted.length,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      loopP50Ms: this.loop.percentile(50) / 1e6,
      loopP99Ms: this.loop.percentile(99) / 1e6,
      loopMaxMs: this.loop.max / 1e6,
      cpu: (cpu.user + cpu.system) / 1e6 / seconds,
      reads: reads.take(),
    };
  }
}

let proposer: Proposer | undefined;

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case "state":
      return state();
    case "fill":
      return fill(request.count, request.inFlight);
    case "proposer-start":
      proposer = new Proposer();
      return null;
    case "proposer-stop": {
      const report = await proposer?.stop();
      proposer = undefined;
      return report;
    }
    case "stop":
      await node.stop();
      return null;
  }
}

process.on("message", (request: Request) => {
  handle(request).then(
    (result) => process.send?.({ seq: request.seq, ok: true, result } satisfies Reply, () => request.op === "stop" && process.exit(0)),
    (error: unknown) => process.send?.({ seq: request.seq, ok: false, error: String(error) } satisfies Reply),
  );
});
process.on("SIGTERM", () => void node.stop().finally(() => process.exit(0)));
process.send?.({ seq: 0, ok: true, result: "started" } satisfies Reply);
