import { execFile } from "node:child_process";
import { bankDemoCli, type ChaosCluster } from "./cluster.js";

/**
 * Runs a bank-demo client command on the cluster's directory, as an operator
 * would (one deadline; it retries across the members, follows leader hints and
 * waits out elections): ok on exit code 0, else its last line of output.
 */
export function bankCommand(c: ChaosCluster, args: readonly string[], seconds: number): Promise<{ ok: boolean; last: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bankDemoCli, ...args, "--dir", c.dir, "--timeout", String(seconds)], { timeout: (seconds + 15) * 1000, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      const lines = `${stdout}\n${stderr}`.split("\n").filter((l) => l.trim() !== "");
      resolve({ ok: error === null, last: error === null ? "ok" : (lines.at(-1) ?? error.message) });
    });
  });
}

/** Whether the leader's membership (read now) has `id` among its voters or learners; `undefined` if no leader answered. */
async function isMember(c: ChaosCluster, leaderOf: () => number | undefined, id: number): Promise<boolean | undefined> {
  const leader = leaderOf();
  const s = leader === undefined ? undefined : await c.status(leader);
  return s === undefined ? undefined : s.members.voters.includes(id) || s.members.learners.includes(id);
}

async function isVoter(c: ChaosCluster, leaderOf: () => number | undefined, id: number): Promise<boolean> {
  const leader = leaderOf();
  const s = leader === undefined ? undefined : await c.status(leader);
  return s?.members.voters.includes(id) === true;
}

/**
 * Starts node `id` (a new process that waits to be added, behind its
 * proxies), then runs `bank-demo add-node --id <id>`, which adds it as a
 * learner, waits for its catch-up and promotes it. Returns `ok`, or what
 * stopped it; a node that never became a member is stopped.
 */
export async function addNode(c: ChaosCluster, id: number, leaderOf: () => number | undefined): Promise<string> {
  c.writeConfig(id, true);
  c.start(id);
  const upBy = performance.now() + 20_000;
  while ((await c.status(id)) === undefined) {
    if (performance.now() > upBy || !c.isRunning(id)) {
      await c.kill(id);
      return "the new node did not start";
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const added = await bankCommand(c, ["add-node", "--id", String(id)], 45);
  if (added.ok) return "ok";
  const member = await isMember(c, leaderOf, id);
  if (member === false) await c.kill(id);
  // A promotion whose answer was lost leaves a voter behind a failed command.
  return (await isVoter(c, leaderOf, id)) ? `ok (the command failed: ${added.last})` : `add-node: ${added.last}`;
}

/** Runs `bank-demo remove-node --id <id>` (the leader itself, if it leads) and makes sure its process is gone once it is out. */
export async function removeNode(c: ChaosCluster, id: number, leaderOf: () => number | undefined): Promise<string> {
  const removed = await bankCommand(c, ["remove-node", "--id", String(id)], 15);
  if (removed.ok || (await isMember(c, leaderOf, id)) === false) {
    await c.kill(id);
    return removed.ok ? "ok" : `ok (the command failed: ${removed.last})`;
  }
  return `remove-node: ${removed.last}`;
}
