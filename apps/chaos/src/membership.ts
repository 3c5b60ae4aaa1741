import type { ChaosCluster, Reply } from "./cluster.js";

/** Tries `attempt` on the leader until it answers 200, retrying refusals a later try may not meet (no leader, a change in progress, not caught up) until `ms` ran out. */
async function onLeader(c: ChaosCluster, leaderOf: () => number | undefined, body: unknown, ms: number): Promise<{ ok: boolean; last: string }> {
  const deadline = performance.now() + ms;
  let last = "no leader";
  while (performance.now() < deadline) {
    const leader = leaderOf();
    if (leader !== undefined) {
      const reply: Reply | undefined = await c.request(leader, "POST", "/admin/members", body, 5_000);
      if (reply?.status === 200) return { ok: true, last: "ok" };
      last = reply === undefined ? "no answer" : String(reply.body.error ?? reply.status);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ok: false, last };
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
 * Starts node `id` (a new process that waits to be added), adds it as a
 * learner through the leader, then promotes it once caught up. Returns
 * `ok`, or what stopped it; a node that never became a member is stopped.
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
  const added = await onLeader(c, leaderOf, { action: "add-learner", id, address: c.raftAddress(id) }, 15_000);
  if (!added.ok) {
    if ((await isMember(c, leaderOf, id)) === false) await c.kill(id);
    return `add-learner: ${added.last}`;
  }
  const promoted = await onLeader(c, leaderOf, { action: "promote", id }, 30_000);
  if (promoted.ok) return "ok";
  // A promotion whose answer was lost is refused when retried (node `id` is no learner any more).
  return (await isVoter(c, leaderOf, id)) ? `ok (answer lost: ${promoted.last})` : `promote: ${promoted.last}`;
}

/** Removes voter `id` through the leader (itself, if it leads) and stops its process once it is out. */
export async function removeNode(c: ChaosCluster, id: number, leaderOf: () => number | undefined): Promise<string> {
  const removed = await onLeader(c, leaderOf, { action: "remove", id }, 15_000);
  if (removed.ok || (await isMember(c, leaderOf, id)) === false) {
    await c.kill(id);
    return removed.ok ? "ok" : `ok (answer lost: ${removed.last})`;
  }
  return `remove: ${removed.last}`;
}
