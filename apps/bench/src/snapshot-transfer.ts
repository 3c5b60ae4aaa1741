// A state machine with 256 MiB and with 1 GiB of state is transferred to a
// lagging follower: in-memory transport, disk snapshot stores in temp dirs.
// Prints end-to-end MB/s (offer → fetched, verified, restored) and the peak
// RSS growth over the idle process during the transfer.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RaftNode } from "@raft/core/runtime";
import { InMemoryNetwork } from "@raft/core/testing";
import { MemoryLogStore } from "@raft/log-memory";
import { DiskSnapshotStore } from "@raft/snapshot-store-disk";
import { BlobMachine } from "./blob-machine.js";

const MiB = 1 << 20;
const sizes = (process.env.BENCH_SNAPSHOT_MIB ?? "256,1024").split(",").map((s) => Number(s) * MiB);
const chunkBytes = Number(process.env.BENCH_CHUNK_KIB ?? 1024) * 1024;

async function measure(size: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "raft-bench-snap-"));
  const network = new InMemoryNetwork();
  const voters = [1, 2, 3];
  const machines = new Map<number, BlobMachine>();
  const nodes: RaftNode<number>[] = [];
  async function start(id: number): Promise<RaftNode<number>> {
    const machine = new BlobMachine(size);
    machines.set(id, machine);
    const node = new RaftNode<number>({
      id,
      voters,
      tickMs: 50,
      seed: id,
      snapshotEntries: 0,
      keepTrailing: 0,
      snapshotInlineBytes: 0,
      snapshotChunkBytes: chunkBytes,
      verifySnapshotOnStart: false,
      log: new MemoryLogStore(),
      snapshots: await DiskSnapshotStore.open({ dir: join(dir, `node-${id}`) }),
      stateMachine: machine,
      transport: network.transport(id),
    });
    nodes.push(node);
    await node.start();
    return node;
  }
  try {
    // Nodes 1 and 3 form a quorum and build a snapshot; node 2 has never run.
    const leader = await start(1);
    await start(3);
    leader.campaign();
    while (leader.status().role !== "leader") await new Promise((r) => setTimeout(r, 10));
    await leader.propose(new Uint8Array([1]));
    await leader.takeSnapshot();
    global.gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const idle = process.memoryUsage().rss;
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const t0 = performance.now();
    const lagging = await start(2);
    await new Promise<void>((resolve) => lagging.on("snapshot", (e) => e.kind === "installed" && resolve()));
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const restored = machines.get(2) as BlobMachine;
    if (restored.restoredBytes !== size) throw new Error(`restored ${restored.restoredBytes} of ${size} bytes`);
    const mbps = size / 1e6 / seconds;
    return `${String(size / MiB).padStart(5)} MiB: ${mbps.toFixed(0).padStart(5)} MB/s end to end (${seconds.toFixed(2)} s), peak RSS +${((peak - idle) / MiB).toFixed(1)} MiB over idle ${(idle / MiB).toFixed(0)} MiB`;
  } finally {
    for (const n of nodes) await n.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`snapshot transfer to a lagging follower (in-memory transport, disk snapshot stores, ${chunkBytes / 1024} KiB chunks)`);
for (const size of sizes) console.log(await measure(size));
