import { resolve } from "node:path";
import { ConfigError, httpUrlOf, nodeConfigSchema, type NodeConfigInput } from "../config/node-config.js";
import { nodeDir, portOf, readConfigs } from "../cluster/cluster-layout.js";
import { spawnNode } from "../cluster/spawn-node.js";
import type { ApiClient } from "./api-client.js";
import { drawProgress, endProgress } from "./progress-bar.js";

interface Status {
  role: string;
  leaderUrl: string | null;
  commitIndex: number;
  appliedIndex: number;
  members: { voters: number[]; learners: number[] };
  snapshotTransfers: { peer: number; direction: string; bytesDone: number; bytesTotal: number }[];
}

/**
 * `bank-demo add-node --id N --dir D`: starts node N beside the others (same
 * settings, the next ports), adds it as a learner, shows the snapshot
 * transfer and catch-up, then promotes it to voter.
 */
export async function addNode(client: ApiClient, dir: string, id: number): Promise<void> {
  const configs = readConfigs(resolve(dir));
  if (configs.has(id)) throw new ConfigError(`${nodeDir(resolve(dir), id)}/config.json exists: node ${id} is already part of this cluster directory`);
  const [templateId, template] = [...configs.entries()][0] ?? [];
  if (template === undefined || templateId === undefined) throw new ConfigError(`no node configs under ${dir}; start the cluster with bank-demo cluster --dir ${dir} first`);
  const t = nodeConfigSchema.parse(template);
  const base = t.port - 2 * (templateId - 1);
  const host = t.host;
  const address = `${host}:${portOf(base, id)}`;
  const peers = Object.fromEntries([...configs.entries()].map(([peer, c]) => [String(peer), `${c.host ?? host}:${c.port}`]));
  const config: NodeConfigInput = { ...template, id, dataDir: nodeDir(resolve(dir), id), port: portOf(base, id), join: true, peers };
  const child = spawnNode(config, { detached: true });
  console.log(`started node ${id} (pid ${child.pid}) at ${httpUrlOf(address)}, raft ${address}`);
  await waitUntilUp(httpUrlOf(address));

  const added = await client.request("POST", "/admin/members", { action: "add-learner", id, address });
  if (added.status !== 200) throw new Error(`add-learner failed: ${added.status} ${JSON.stringify(added.body)}`);
  console.log(`node ${id} added as a learner; catching up`);
  await followCatchUp(client, httpUrlOf(address), id);
  for (let attempt = 0; ; attempt++) {
    const promoted = await client.request("POST", "/admin/members", { action: "promote", id });
    if (promoted.status === 200) {
      console.log(`node ${id} is a voter: ${JSON.stringify(promoted.body.members)}`);
      return;
    }
    if (attempt >= 50 || promoted.body.error !== "NotCaughtUp") throw new Error(`promote failed: ${promoted.status} ${JSON.stringify(promoted.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function leaderStatus(client: ApiClient): Promise<Status> {
  const any = (await client.request<Status>("GET", "/status")).body;
  if (any.role === "leader" || any.leaderUrl === null) return any;
  return (await client.request<Status>("GET", "/status", undefined, { node: any.leaderUrl })).body;
}

async function waitUntilUp(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/status`, { signal: AbortSignal.timeout(500) })).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`node at ${url} did not come up within 20 s`);
}

/** Draws the leader's snapshot transfer to the new node, then waits until it has applied what the leader committed. */
async function followCatchUp(client: ApiClient, url: string, id: number): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  let drew = false;
  while (Date.now() < deadline) {
    const leader = await leaderStatus(client);
    const transfer = leader.snapshotTransfers.find((t) => t.peer === id && t.direction === "send");
    if (transfer !== undefined) {
      drawProgress(`snapshot → node ${id}`, transfer.bytesDone, transfer.bytesTotal);
      drew = true;
    }
    const mine = (await (await fetch(`${url}/status`)).json()) as Status;
    if (transfer === undefined && mine.appliedIndex >= leader.commitIndex - 1) {
      if (drew) endProgress();
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`node ${id} did not catch up within 10 minutes`);
}
