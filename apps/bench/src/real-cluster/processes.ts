// Stopping processes by pid: the clusters outlive their launchers if those are
// killed, so the benchmark kills every pid it knows of, never by name.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, up to `graceMs` for a clean exit, then SIGKILL whatever is left. */
export async function stopPids(pids: Iterable<number>, graceMs = 5_000): Promise<void> {
  const live = [...new Set(pids)].filter((p) => p > 0 && isAlive(p));
  for (const pid of live) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (live.some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const pid of live) if (isAlive(pid)) signal(pid, "SIGKILL");
  const killDeadline = Date.now() + 2_000;
  while (live.some(isAlive) && Date.now() < killDeadline) await sleep(20);
}

/** The pids a bank cluster directory records, one per node (`<dir>/<id>/pid`). */
export function readPidFiles(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(dir, name, "pid")))
    .map((name) => Number(readFileSync(join(dir, name, "pid"), "utf8").trim()))
    .filter((pid) => Number.isSafeInteger(pid));
}
