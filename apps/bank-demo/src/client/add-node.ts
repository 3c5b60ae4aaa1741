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
  console.log(await snapshotSource(httpUrlOf(address), id, config.snapshots === "s3"));
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

/**
 * Draws the new node's snapshot transfer (as the leader sends it, or as the
 * node receives it: from S3 the leader sends nothing), then waits until it
 * has applied what the leader committed.
 */
async function followCatchUp(client: ApiClient, url: string, id: number): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  let drew = false;
  while (Date.now() < deadline) {
    const leader = await leaderStatus(client);
    const mine = (await (await fetch(`${url}/status`)).json()) as Status;
    const transfer = leader.snapshotTransfers.find((t) => t.peer === id && t.direction === "send") ?? mine.snapshotTransfers.find((t) => t.direction === "receive");
    if (transfer !== undefined) {
      drawProgress(`snapshot → node ${id}`, transfer.bytesDone, transfer.bytesTotal);
      drew = true;
    }
    if (transfer === undefined && mine.appliedIndex >= leader.commitIndex - 1) {
      if (drew) endProgress();
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`node ${id} did not catch up within 10 minutes`);
}

/** The new node's snapshot counters, read from its /metrics. */
async function snapshotCounters(url: string): Promise<{ received: number; fromUrl: number; fallbacks: number; sources: Set<string> }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  const sources = new Set<string>();
  for (const m of text.matchAll(/^raft_snapshot_transfers_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = m[1] ?? "";
    if (Number(m[2]) > 0 && labels.includes('direction="receive"') && labels.includes('ok="true"')) sources.add(/source="(\w+)"/.exec(labels)?.[1] ?? "");
  }
  return { received: value("raft_snapshot_bytes_received_total"), fromUrl: value("raft_snapshot_url_bytes_received_total"), fallbacks: value("raft_snapshot_url_fallbacks_total"), sources };
}

/** One line saying where the new node's snapshot bytes came from: S3, the shared prefix, the leader, or no snapshot at all. */
async function snapshotSource(url: string, id: number, s3: boolean): Promise<string> {
  const c = await snapshotCounters(url);
  const mib = (n: number) => (n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(2)} MiB`);
  const fromLeader = c.received - c.fromUrl;
  if (c.sources.has("local")) return `node ${id}'s snapshot: already in its S3 store (the prefix it shares with the leader); nothing copied, the leader sent none`;
  if (c.fromUrl > 0 && fromLeader === 0) return `node ${id}'s snapshot: read straight from S3, ${mib(c.fromUrl)} by ranged GETs; the leader sent none`;
  if (c.fromUrl > 0) return `node ${id}'s snapshot: ${mib(c.fromUrl)} read from S3, then S3 was out of reach and the leader sent the other ${mib(fromLeader)}`;
  if (c.received > 0) return `node ${id}'s snapshot: ${mib(fromLeader)} from the leader over the transport${s3 && c.fallbacks > 0 ? " (S3 was out of reach)" : ""}`;
  const restored = ((await (await fetch(`${url}/status`)).json()) as { snapshot: { index: number } | null }).snapshot;
  if (s3 && restored !== null) return `node ${id}'s snapshot: found in S3 at startup (the prefix it shares with the other nodes), index ${restored.index}; nothing copied, the leader sent none`;
  return `node ${id} caught up from the log or an inline snapshot (no snapshot stream)`;
}
