import type { AppliedRequest, MemberState } from "./checks.js";
import type { ChaosCluster, NodeStatus } from "./cluster.js";

/** The leader every running member follows, with its status, once there is one; `undefined` after `ms`. */
export async function waitForLeader(c: ChaosCluster, candidates: () => readonly number[], ms: number): Promise<NodeStatus | undefined> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const statuses = await Promise.all(candidates().map((id) => c.status(id, 3_000)));
    const leader = statuses.filter((s) => s?.role === "leader").sort((a, b) => (b?.term ?? 0) - (a?.term ?? 0))[0];
    if (leader !== undefined) return leader;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/**
 * Waits until every member has applied what the leader had committed when
 * it was last asked, and reads each one's state from its local copy.
 * Returns the members it could read, and those that did not catch up in `ms`.
 */
export async function settle(c: ChaosCluster, leader: number, members: readonly number[], ms: number): Promise<{ states: MemberState[]; behind: string[] }> {
  const deadline = performance.now() + ms;
  let behind: string[] = [];
  while (performance.now() < deadline) {
    const target = (await c.status(leader))?.commitIndex;
    behind = [];
    if (target !== undefined) {
      for (const id of members) {
        const s = await c.status(id);
        if (s === undefined || s.appliedIndex < target) behind.push(`node ${id} ${s === undefined ? "did not answer" : `applied ${s.appliedIndex} of ${target}`}`);
      }
      if (behind.length === 0) break;
    } else behind = [`the leader, node ${leader}, did not answer`];
    await new Promise((r) => setTimeout(r, 200));
  }
  const states: MemberState[] = [];
  for (const id of members) {
    const state = await readState(c, id, true);
    if (state !== undefined) states.push(state);
  }
  return { states, behind };
}

/** A member's balances and remembered requests: from its local state (`stale`) or linearizable through the leader. */
export async function readState(c: ChaosCluster, id: number, stale: boolean): Promise<MemberState | undefined> {
  const q = stale ? "?consistency=stale" : "";
  const accounts = await c.request(id, "GET", `/accounts${q}`, undefined, 10_000);
  const requests = await c.request(id, "GET", `/requests${q}`, undefined, 30_000);
  if (accounts?.status !== 200 || requests?.status !== 200) return undefined;
  return {
    id,
    index: accounts.body.index as number,
    accounts: accounts.body.accounts as Record<string, number>,
    requests: requests.body.requests as AppliedRequest[],
  };
}
