import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { NodeConfigInput } from "../config/node-config.js";

/** Where node `id` of a cluster started with `--base-port base` listens: Raft on the port, HTTP on the next. */
export function portOf(base: number, id: number): number {
  return base + 2 * (id - 1);
}

export function nodeDir(dir: string, id: number): string {
  return join(dir, String(id));
}

/** The node configs found under a cluster directory, by id. */
export function readConfigs(dir: string): Map<number, NodeConfigInput> {
  const configs = new Map<number, NodeConfigInput>();
  if (!existsSync(dir)) return configs;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, "config.json");
    if (/^\d+$/.test(name) && existsSync(file)) configs.set(Number(name), JSON.parse(readFileSync(file, "utf8")) as NodeConfigInput);
  }
  return configs;
}

/** Process ids recorded under a cluster directory (`D/<id>/pid`), by node id. */
export function readPids(dir: string): Map<number, number> {
  const pids = new Map<number, number>();
  if (!existsSync(dir)) return pids;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, "pid");
    if (/^\d+$/.test(name) && existsSync(file)) pids.set(Number(name), Number(readFileSync(file, "utf8").trim()));
  }
  return pids;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
