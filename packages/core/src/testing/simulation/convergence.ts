import type { SimNode } from "./sim-cluster.js";

type Live = NonNullable<SimNode["live"]>;

/** After healing: one leader all members follow, everything committed applied, no client left waiting, identical state machines. */
export function checkConverged(members: readonly SimNode[], unsettled: number): string[] {
  const problems: string[] = [];
  for (const n of members) if (n.live === undefined) problems.push(`member ${n.id} is not running`);
  const running = members.filter((n) => n.live !== undefined);
  const statuses = running.map((n) => (n.live as Live).node.status());
  const leaders = statuses.filter((s) => s.role === "leader");
  if (leaders.length !== 1) problems.push(`expected one leader after healing, found ${leaders.length}`);
  const leader = leaders[0];
  if (leader !== undefined) {
    for (const s of statuses) {
      if (s.leader !== leader.id || s.term !== leader.term) problems.push(`node ${s.id} follows ${s.leader} in term ${s.term}, not ${leader.id} in ${leader.term}`);
      if (s.applied !== leader.commit) problems.push(`node ${s.id} applied ${s.applied}, leader committed ${leader.commit}`);
    }
  }
  if (unsettled > 0) {
    const detail = statuses.map((s) => [s.id, s.role, s.commit, s.applied, s.lastIndex, s.pendingProposals, s.pendingReads, s.progress ? [...s.progress] : null]);
    problems.push(`${unsettled} client requests never settled (${JSON.stringify(detail)})`);
  }
  const states = running.map((n) => (n.live as Live).sm.values.join(","));
  if (new Set(states).size > 1) {
    const lengths = running.map((n) => `${n.id}:${n.live?.sm.values.length}@${n.live?.sm.appliedIndex}`).join(" ");
    problems.push(`state machines differ after healing (${lengths}; ${JSON.stringify(statuses.map((s) => [s.id, s.role, s.commit, s.applied, s.lastIndex]))})`);
  }
  return problems;
}
