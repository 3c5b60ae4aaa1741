import { resolve } from "node:path";
import type { NodeConfigInput } from "../config/node-config.js";
import { httpUrlOf } from "../config/node-config.js";
import { isAlive, nodeDir, portOf, readPids } from "./cluster-layout.js";
import { spawnNode } from "./spawn-node.js";

export interface ClusterOptions {
  nodes: number;
  dir: string;
  transport: "grpc" | "ws";
  log: "sqlite" | "memory";
  snapshots: "disk" | "s3";
  basePort: number;
  host: string;
}

/**
 * `bank-demo cluster`: N nodes as child processes on one machine. Data, configs,
 * pids and logs live under `dir/<id>/`; Ctrl-C stops every node recorded there
 * (including ones added later with `add-node`).
 */
export async function launchCluster(o: ClusterOptions): Promise<void> {
  const dir = resolve(o.dir);
  const ids = Array.from({ length: o.nodes }, (_, i) => i + 1);
  const address = (id: number) => `${o.host}:${portOf(o.basePort, id)}`;
  let stopping = false;
  const children = ids.map((id) => {
    const config: NodeConfigInput = {
      id,
      clusterId: "bank-demo",
      dataDir: nodeDir(dir, id),
      host: o.host,
      port: portOf(o.basePort, id),
      transport: o.transport,
      log: o.log,
      snapshots: o.snapshots,
      voters: ids,
      peers: Object.fromEntries(ids.filter((p) => p !== id).map((p) => [String(p), address(p)])),
    };
    const child = spawnNode(config);
    child.on("exit", (code, signal) => {
      if (!stopping) console.log(`node ${id} exited (${signal ?? `code ${code}`}); see ${nodeDir(dir, id)}/node.log`);
    });
    return child;
  });

  console.log(`bank-demo: ${o.nodes} nodes over ${o.transport}, ${o.log} log, ${o.snapshots} snapshots; data in ${dir}`);
  for (const id of ids) console.log(`  node ${id}  ${httpUrlOf(address(id))}  (raft ${address(id)}, log ${nodeDir(dir, id)}/node.log)`);
  console.log(`dashboard: ${httpUrlOf(address(1))}/`);
  const leader = await waitForLeader(ids.map((id) => httpUrlOf(address(id))));
  console.log(leader === undefined ? "no leader yet; the nodes keep trying" : `leader: node ${leader}. Try: bank-demo status --dir ${o.dir}`);
  console.log("Ctrl-C stops the cluster.");

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("stopping…");
    const pids = new Set([...readPids(dir).values(), ...children.map((c) => c.pid).filter((p): p is number => p !== undefined)]);
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 5_000;
    while ([...pids].some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    console.log("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

async function waitForLeader(urls: string[], timeoutMs = 15_000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const url of urls) {
      try {
        const status = (await (await fetch(`${url}/status`, { signal: AbortSignal.timeout(500) })).json()) as { role: string; id: number };
        if (status.role === "leader") return status.id;
      } catch {
        // not up yet
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}
