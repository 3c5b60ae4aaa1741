// In-process 3-node cluster throughput: @raft/log-memory, the in-memory
// transport and a trivial state machine. Prints committed ops/s and p50/p99
// proposal latency at 1, 64 and 1,024 proposals in flight.
import { RaftNode } from "@raft/core/runtime";
import { InMemoryNetwork, MemorySnapshotStore } from "@raft/core/testing";
import { MemoryLogStore } from "@raft/log-memory";
import { Counter } from "./counter.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 3);

async function startCluster(): Promise<RaftNode<number>[]> {
  const network = new InMemoryNetwork();
  const voters = [1, 2, 3];
  const nodes = voters.map(
    (id) => new RaftNode<number>({ id, voters, tickMs: 50, seed: id, log: new MemoryLogStore(), snapshots: new MemorySnapshotStore(), stateMachine: new Counter(), transport: network.transport(id) }),
  );
  for (const n of nodes) await n.start();
  (nodes[0] as RaftNode<number>).campaign();
  for (let i = 0; i < 200 && !nodes.some((n) => n.status().role === "leader"); i++) await new Promise((r) => setTimeout(r, 10));
  return nodes;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function measure(inFlight: number): Promise<string> {
  const nodes = await startCluster();
  const leader = nodes.find((n) => n.status().role === "leader");
  if (leader === undefined) throw new Error("no leader elected");
  const payload = new Uint8Array(16);
  const latencies: number[] = [];
  let done = 0;
  const warmupEnd = performance.now() + 500;
  const end = warmupEnd + seconds * 1000;
  async function client(): Promise<void> {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      await leader!.propose(payload);
      const t1 = performance.now();
      if (t0 >= warmupEnd) {
        done++;
        latencies.push(t1 - t0);
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, client));
  for (const n of nodes) await n.stop();
  const sorted = Float64Array.from(latencies).sort();
  const opsPerSec = done / seconds;
  return `in flight ${String(inFlight).padStart(5)}: ${Math.round(opsPerSec).toLocaleString("en-US").padStart(9)} ops/s   p50 ${percentile(sorted, 0.5).toFixed(3)} ms   p99 ${percentile(sorted, 0.99).toFixed(3)} ms`;
}

console.log(`3-node in-process cluster (log-memory, in-memory transport), ${seconds} s per run`);
for (const inFlight of [1, 64, 1024]) console.log(await measure(inFlight));
