import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { httpUrlOf, type NodeConfigInput } from "../config/node-config.js";

/**
 * A cluster directory `D`: one folder per node, `D/<id>/` with its
 * `config.json`, its data, `pid` (written by the node process) and
 * `node.log`; `removed` once `remove-node` took it out of the cluster (the
 * folder stays, for its log). The `cluster` supervisor watches this directory,
 * so a node registered here by `add-node` is adopted like the founding ones.
 */

/** Where node `id` of a cluster started with `--base-port base` listens: Raft on the port, HTTP on the next. */
export function portOf(base: number, id: number): number {
  return base + 2 * (id - 1);
}

export function nodeDir(dir: string, id: number): string {
  return join(dir, String(id));
}

export function configFileOf(dir: string, id: number): string {
  return join(nodeDir(dir, id), "config.json");
}

function nodeIds(dir: string, file: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^[1-9]\d*$/.test(name) && existsSync(join(dir, name, file)))
    .map(Number)
    .sort((a, b) => a - b);
}

/** The node configs found under a cluster directory, by id (removed nodes included). */
export function readConfigs(dir: string): Map<number, NodeConfigInput> {
  return new Map(nodeIds(dir, "config.json").map((id) => [id, JSON.parse(readFileSync(configFileOf(dir, id), "utf8")) as NodeConfigInput]));
}

/** Process ids recorded under a cluster directory (`D/<id>/pid`), by node id. */
export function readPids(dir: string): Map<number, number> {
  const pids = new Map<number, number>();
  for (const id of nodeIds(dir, "pid")) {
    const pid = Number(readFileSync(join(nodeDir(dir, id), "pid"), "utf8").trim());
    if (Number.isSafeInteger(pid) && pid > 0) pids.set(id, pid);
  }
  return pids;
}

/** Marks node `id` as removed from the cluster (its folder stays). */
export function markRemoved(dir: string, id: number): void {
  writeFileSync(join(nodeDir(dir, id), "removed"), `${new Date().toISOString()}\n`);
}

export function isRemoved(dir: string, id: number): boolean {
  return existsSync(join(nodeDir(dir, id), "removed"));
}

/** The HTTP URLs of the nodes under `dir` that were not removed: where a client starts looking for the cluster. */
export function seedUrls(dir: string): string[] {
  return [...readConfigs(dir).entries()].filter(([id]) => !isRemoved(dir, id)).map(([, c]) => httpUrlOf(`${c.host ?? "127.0.0.1"}:${c.port}`));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is node `id` of `dir` (`bank-demo node --config D/<id>/config.json`),
 * not some other process that reused a stale pid. Where /proc is missing, a live pid is taken at its word.
 */
export function isNodeProcess(dir: string, id: number, pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    const at = args.indexOf("--config");
    const given = at >= 0 ? args[at + 1] : undefined;
    return given !== undefined && resolve(readlinkSync(`/proc/${pid}/cwd`), given) === configFileOf(resolve(dir), id);
  } catch {
    return !existsSync("/proc/self/cmdline");
  }
}

/** The live process of node `id`, if any. */
export function livePid(dir: string, id: number): number | undefined {
  const pid = readPids(dir).get(id);
  return pid !== undefined && isNodeProcess(dir, id, pid) ? pid : undefined;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once every pid is gone. */
export async function stopProcesses(pids: readonly number[], graceMs = 5_000): Promise<void> {
  for (const pid of pids) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids) if (isAlive(pid)) signal(pid, "SIGKILL");
  while (pids.some(isAlive)) await new Promise((r) => setTimeout(r, 20));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
