import { isRaftError, type NodeId } from "../../engine/index.js";
import type { SimCluster } from "./sim-cluster.js";

/** One membership step on the current leader: add a spare as learner, promote a learner, or remove a voter. */
export function changeMembership(c: SimCluster): void {
  const leader = c.leaderGuess()?.live?.node;
  if (leader === undefined || leader.status().role !== "leader") return;
  const m = leader.status().membership;
  const members = new Set([...m.voters, ...m.learners, ...(m.outgoing ?? [])]);
  const learner = m.learners[0];
  const spare = c.nodes.find((n) => !members.has(n.id) && !n.retired && n.incarnation === 0);
  let op: Promise<unknown> | undefined;
  if (learner !== undefined) {
    c.log(`promote ${learner}`);
    op = leader.promote(learner);
  } else if (spare !== undefined && c.prng.chance(0.6)) {
    c.log(`add learner ${spare.id}`);
    c.pendingStarts.push(c.start(spare));
    op = leader.addLearner(spare.id);
  } else if (m.voters.length > c.settings.size) {
    const victim = m.voters[c.prng.int(0, m.voters.length)] as NodeId;
    c.log(`remove ${victim}`);
    op = leader.removeMember(victim).then(() => {
      const n = c.nodes.find((x) => x.id === victim);
      if (n !== undefined) n.retired = true;
    });
  }
  if (op === undefined) return;
  c.stats.membershipChanges++;
  c.track(
    op.catch((e: unknown) => {
      if (!isRaftError(e)) throw e;
    }),
  );
}
