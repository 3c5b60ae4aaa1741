import { existsSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, httpUrlOf, nodeConfigSchema, type NodeConfigInput } from "../config/node-config.js";
import { configFileOf, isRemoved, livePid, nodeDir, portOf, readConfigs, stopProcesses } from "../cluster/cluster-layout.js";
import { spawnNode } from "../cluster/spawn-node.js";
import type { StatusView } from "../http/views.js";
import { ApiClient } from "./api-client.js";
import { drawProgress, endProgress } from "./progress-bar.js";
import { snapshotSource } from "./snapshot-source.js";

/** Default deadline of add-node, in seconds: a large snapshot takes a while to stream. */
export const addNodeTimeoutSeconds = 600;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where add-node got to, for the message of a failure. */
interface Progress {
  dir: string;
  id: number;
  step: string;
}

/**
 * `bank-demo add-node --id K --dir D`: registers node K in the cluster
 * directory (its config beside the others', same settings, the next ports),
 * starts it (the `cluster` supervisor adopts it), adds it as a learner, shows
 * its snapshot transfer and catch-up, and promotes it to voter.
 *
 * Resumable and idempotent: every step first looks at what is already done
 * (the config written, the process running, K a learner or a voter), so the
 * same command run again after a failure continues where it stopped. It
 * follows leader changes and waits out elections within its one deadline;
 * if the new node's process dies during catch-up it is started again. A
 * failure says what state it left and the command that continues or undoes it.
 */
export async function addNode(client: ApiClient, dirArg: string, id: number): Promise<void> {
  const dir = resolve(dirArg);
  const progress: Progress = { dir: dirArg, id, step: "preparing" };
  try {
    await runAddNode(client, dir, id, progress);
  } catch (error) {
    throw new Error(`add-node ${id} stopped while ${progress.step}: ${(error as Error).message}\n${await leftState(client, dir, id, dirArg)}`);
  }
}

async function runAddNode(client: ApiClient, dir: string, id: number, progress: Progress): Promise<void> {
  if (isRemoved(dir, id))
    throw new ConfigError(
      `node ${id} was removed from this cluster; its directory ${nodeDir(dir, id)} remains. Ids are not reused with old data: run bank-demo add-node --id ${id} --dir ${progress.dir} --abort to delete it first`,
    );
  const config = registeredConfig(dir, id);
  const url = httpUrlOf(`${config.host ?? "127.0.0.1"}:${config.port}`);
  const address = `${config.host ?? "127.0.0.1"}:${config.port}`;

  progress.step = "looking up the membership";
  let leader = await client.leaderStatus();
  if (leader.members.voters.includes(id)) {
    ensureRunning(dir, id, config);
    console.log(`node ${id} is already a voter: ${JSON.stringify(leader.members)}`);
    return;
  }

  progress.step = `starting node ${id}`;
  ensureRunning(dir, id, config);
  await waitUntilUp(client, dir, id, config, url);

  if (!leader.members.learners.includes(id)) {
    progress.step = `adding node ${id} as a learner`;
    const added = await client.request("POST", "/admin/members", { action: "add-learner", id, address });
    if (added.status !== 200) throw new Error(`add-learner answered ${added.status} ${JSON.stringify(added.body)}`);
    console.log(`node ${id} added as a learner; catching up`);
  } else {
    console.log(`node ${id} is already a learner; catching up`);
  }

  progress.step = `waiting for node ${id} to catch up`;
  leader = await followCatchUp(client, dir, id, config, url);
  console.log(await snapshotSource(url, id, config.snapshots === "s3").catch(() => `node ${id} caught up`));

  progress.step = `promoting node ${id} to voter`;
  const promoted = await client.request<{ members: unknown }>("POST", "/admin/members", { action: "promote", id }, { retryOn: ["NotCaughtUp"] });
  if (promoted.status !== 200) throw new Error(`promote answered ${promoted.status} ${JSON.stringify(promoted.body)}`);
  console.log(`node ${id} is a voter: ${JSON.stringify(promoted.body.members)}`);
}

/** Node K's config: the one already registered in the directory (a resumed add-node), or a new one modelled on a member's. */
function registeredConfig(dir: string, id: number): NodeConfigInput {
  const configs = readConfigs(dir);
  const existing = configs.get(id);
  if (existing !== undefined) {
    console.log(`node ${id} is registered in ${dir} already (${configFileOf(dir, id)}): resuming`);
    return existing;
  }
  const [templateId, template] = [...configs.entries()].find(([other]) => !isRemoved(dir, other)) ?? [];
  if (template === undefined || templateId === undefined) throw new ConfigError(`no node configs under ${dir}; start the cluster with bank-demo cluster --dir ${dir} first`);
  const t = nodeConfigSchema.parse(template);
  const base = t.port - 2 * (templateId - 1);
  const peers = Object.fromEntries([...configs.entries()].filter(([peer]) => !isRemoved(dir, peer)).map(([peer, c]) => [String(peer), `${c.host ?? t.host}:${c.port}`]));
  return { ...template, id, dataDir: nodeDir(dir, id), port: portOf(base, id), join: true, peers };
}

/** Starts node K unless its process is running; the supervisor of the directory adopts it by its pid file. */
function ensureRunning(dir: string, id: number, config: NodeConfigInput): void {
  const running = livePid(dir, id);
  if (running !== undefined) return;
  const child = spawnNode(config, { detached: true });
  console.log(`started node ${id} (pid ${child.pid}), raft ${config.host ?? "127.0.0.1"}:${config.port}, log ${nodeDir(dir, id)}/node.log`);
}

async function nodeStatus(url: string): Promise<StatusView | undefined> {
  try {
    const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? ((await res.json()) as StatusView) : undefined;
  } catch {
    return undefined;
  }
}

async function waitUntilUp(client: ApiClient, dir: string, id: number, config: NodeConfigInput, url: string): Promise<void> {
  while (client.remainingMs > 0) {
    if ((await nodeStatus(url)) !== undefined) return;
    ensureRunning(dir, id, config);
    await sleep(150);
  }
  throw new Error(`node ${id} did not answer at ${url} within the deadline (see ${nodeDir(dir, id)}/node.log)`);
}

/**
 * Draws the new node's snapshot transfer (as the leader sends it, or as the
 * node receives it: from S3 the leader sends nothing), then waits until it
 * has applied what the leader committed. The leader may change meanwhile,
 * and the new node may restart (it is started again if its process is gone).
 */
async function followCatchUp(client: ApiClient, dir: string, id: number, config: NodeConfigInput, url: string): Promise<StatusView> {
  let drew = false;
  while (client.remainingMs > 0) {
    const leader = await client.leaderStatus();
    const mine = await nodeStatus(url);
    if (mine === undefined) {
      ensureRunning(dir, id, config);
      await sleep(200);
      continue;
    }
    const transfer = leader.snapshotTransfers.find((t) => t.peer === id && t.direction === "send") ?? mine.snapshotTransfers.find((t) => t.direction === "receive");
    if (transfer !== undefined) {
      drawProgress(`snapshot → node ${id}`, transfer.bytesDone, transfer.bytesTotal);
      drew = true;
    }
    if (transfer === undefined && mine.appliedIndex >= leader.commitIndex - 1) {
      if (drew) endProgress();
      return leader;
    }
    await sleep(100);
  }
  if (drew) endProgress();
  throw new Error(`node ${id} did not catch up within the deadline`);
}

/** What add-node left behind, and the command that continues or undoes it. */
async function leftState(client: ApiClient, dir: string, id: number, dirArg: string): Promise<string> {
  const registered = existsSync(configFileOf(dir, id));
  const pid = registered ? livePid(dir, id) : undefined;
  const membership = await fetchMembership(client, id);
  return [
    `state: node ${id} is ${registered ? `registered in ${nodeDir(dir, id)}` : "not registered"}; its process is ${pid === undefined ? "not running" : `running (pid ${pid})`}; in the membership it is ${membership}.`,
    `continue: bank-demo add-node --id ${id} --dir ${dirArg}`,
    `undo:     bank-demo add-node --id ${id} --dir ${dirArg} --abort`,
  ].join("\n");
}

async function fetchMembership(client: ApiClient, id: number): Promise<string> {
  // The command's deadline may be spent: give the lookup a few seconds of its own.
  try {
    const status = await new ApiClient(client.urls, Date.now() + 3_000).leaderStatus();
    return status.members.voters.includes(id) ? "a voter" : status.members.learners.includes(id) ? "a learner" : "not a member";
  } catch {
    return "unknown (no leader answered)";
  }
}

/**
 * `add-node --id K --abort`: undoes an add-node, whatever step it reached:
 * removes K from the membership if it is in it, stops its process and deletes
 * its directory.
 */
export async function abortAddNode(client: ApiClient, dirArg: string, id: number): Promise<void> {
  const dir = resolve(dirArg);
  const leader = await client.leaderStatus();
  const member = leader.members.voters.includes(id) || leader.members.learners.includes(id);
  if (member) {
    const removed = await client.request("POST", "/admin/members", { action: "remove", id });
    if (removed.status !== 200) throw new Error(`removing node ${id} answered ${removed.status} ${JSON.stringify(removed.body)}; nothing else was undone`);
    console.log(`node ${id} removed from the membership: ${JSON.stringify(removed.body.members)}`);
  } else {
    console.log(`node ${id} is not a member`);
  }
  const pid = livePid(dir, id);
  if (pid !== undefined) {
    await stopProcesses([pid]);
    console.log(`stopped node ${id} (pid ${pid})`);
  }
  if (existsSync(nodeDir(dir, id))) {
    rmSync(nodeDir(dir, id), { recursive: true, force: true });
    console.log(`deleted ${nodeDir(dir, id)}`);
  }
}
