// Failover, in `pnpm bench`: time from SIGKILL of the leader until a write is
// acknowledged again, 10 times per transport, on five bank node processes
// (SQLite log, disk snapshots, the default timeouts: 50 ms ticks, elections
// after 10–20 ticks). The killed node restarts and the cluster settles before
// the next round. Target: a median under 1 s.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChaosCluster } from "./cluster.js";
import { waitForLeader } from "./settle.js";

const rounds = Number(process.env.FAILOVER_ROUNDS ?? 10);
const transports = (process.env.FAILOVER_TRANSPORTS ?? "grpc,ws").split(",") as ("grpc" | "ws")[];

/** One write under a fresh request id sent to every node but `dead` each round (20 ms apart) until one acknowledges it; ms from `since`. */
async function firstAck(c: ChaosCluster, dead: number, requestId: string, since: number): Promise<number> {
  const others = c.founding.filter((id) => id !== dead);
  const body = { requestId, from: "a", to: "b", amount: 1 };
  for (;;) {
    const replies = await Promise.all(others.map((id) => c.request(id, "POST", "/transfers", body, 1_000)));
    if (replies.some((r) => r?.status === 200)) return performance.now() - since;
    if (performance.now() - since > 30_000) throw new Error(`no write acknowledged within 30 s of killing node ${dead}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function bench(transport: "grpc" | "ws"): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "failover-"));
  const c = await ChaosCluster.create({ dir, nodes: 5, spares: 0, transport, tuning: {} });
  try {
    for (const id of c.founding) c.start(id);
    const first = await waitForLeader(c, () => c.founding, 60_000);
    if (first === undefined) throw new Error("no leader");
    for (const id of ["a", "b"]) await c.request(first.id, "POST", "/accounts", { id, balance: 1_000_000, requestId: `open-${id}` }, 5_000);
    const times: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      // A settled cluster: one leader every node follows, all caught up.
      let leader = await waitForLeader(c, () => c.founding, 30_000);
      const settledBy = performance.now() + 30_000;
      while (leader !== undefined && performance.now() < settledBy) {
        const all = await Promise.all(c.founding.map((id) => c.status(id)));
        if (all.every((s) => s !== undefined && s.leaderId === leader?.id && s.appliedIndex >= (leader?.commitIndex ?? 0))) break;
        await new Promise((r) => setTimeout(r, 100));
        leader = await waitForLeader(c, () => c.founding, 30_000);
      }
      if (leader === undefined) throw new Error("no leader to kill");
      await new Promise((r) => setTimeout(r, 500));
      const killedAt = performance.now();
      await c.kill(leader.id);
      const ms = await firstAck(c, leader.id, `failover-${transport}-${round}`, killedAt);
      times.push(ms);
      console.log(`  ${transport} round ${round}: leader node ${leader.id} killed, a write acknowledged after ${ms.toFixed(0)} ms`);
      c.start(leader.id);
    }
    return times;
  } finally {
    await c.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines: string[] = [];
for (const transport of transports) {
  const times = (await bench(transport)).sort((a, b) => a - b);
  const median = times.length % 2 === 1 ? (times[(times.length - 1) / 2] as number) : ((times[times.length / 2 - 1] as number) + (times[times.length / 2] as number)) / 2;
  lines.push(
    `failover (${transport}): SIGKILL of the leader → next write acknowledged: median ${median.toFixed(0)} ms, max ${(times.at(-1) as number).toFixed(0)} ms, min ${(times[0] as number).toFixed(0)} ms over ${times.length} (5 nodes, SQLite, default timeouts; target median < 1,000 ms)`,
  );
}
console.log(lines.join("\n"));
