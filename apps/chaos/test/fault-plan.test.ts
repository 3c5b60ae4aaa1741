import { Prng } from "@raft/core/testing";
import { describe, expect, it } from "vitest";
import { faultKinds, impairs, maxDown, planFault, type ClusterView, type FaultPlan } from "../src/fault-plan.js";

function view(over: Partial<ClusterView> = {}): ClusterView {
  return { voters: [1, 2, 3, 4, 5], learners: [], leader: 1, impaired: new Set(), busy: new Set(), spares: [6, 7], membershipBusy: false, size: 5, ...over };
}

/** Plays the planner against a model of the cluster: impairing faults stay in effect for a few draws, membership changes apply at once. */
function play(seed: number, draws: number): { plans: FaultPlan[]; worst: number } {
  const prng = new Prng(seed);
  let v = view();
  const active: { nodes: number[]; until: number }[] = [];
  const plans: FaultPlan[] = [];
  let worst = 0;
  for (let step = 0; step < draws; step++) {
    for (let i = active.length - 1; i >= 0; i--) if ((active[i]?.until ?? 0) <= step) active.splice(i, 1);
    const impaired = new Set(active.flatMap((a) => a.nodes));
    v = { ...v, impaired, busy: impaired };
    const plan = planFault(prng, v);
    if (plan === undefined) continue;
    plans.push(plan);
    const nodes = impairs(plan);
    if (nodes.length > 0) active.push({ nodes, until: step + 1 + prng.int(0, 6) });
    if (plan.kind === "add-node") v = { ...v, voters: [...v.voters, plan.node], spares: v.spares.filter((id) => id !== plan.node).concat(plan.node + 10) };
    if (plan.kind === "remove-node") v = { ...v, voters: v.voters.filter((id) => id !== plan.node), leader: plan.node === v.leader ? v.voters.find((id) => id !== plan.node) : v.leader };
    const down = v.voters.filter((id) => active.some((a) => a.nodes.includes(id))).length;
    worst = Math.max(worst, down - maxDown(v.voters.length));
  }
  return { plans, worst };
}

describe("the fault planner", () => {
  it("draws the same faults from the same seed", () => {
    expect(play(7, 300).plans).toEqual(play(7, 300).plans);
    expect(play(7, 300).plans).not.toEqual(play(8, 300).plans);
  });

  it("never takes down more than a minority of the voters, removals and additions included", () => {
    for (let seed = 1; seed <= 50; seed++) expect(play(seed, 400).worst, `seed ${seed}`).toBeLessThanOrEqual(0);
  });

  it("draws every kind of fault", () => {
    const kinds = new Set(play(3, 2_000).plans.map((p) => p.kind));
    expect([...kinds].sort()).toEqual([...faultKinds].sort());
  });

  it("adds nobody while a membership change is in progress, and removes only down to one voter fewer than it started with", () => {
    expect(planFaults(view({ membershipBusy: true })).filter((p) => p.kind === "add-node" || p.kind === "remove-node")).toEqual([]);
    expect(planFaults(view({ voters: [1, 2, 3, 4] })).filter((p) => p.kind === "remove-node")).toEqual([]);
  });

  it("leaves a cluster with a minority already down alone, but for faults that take nobody down", () => {
    const plans = planFaults(view({ impaired: new Set([2, 3]), busy: new Set([2, 3]) }));
    expect(plans.flatMap(impairs)).toEqual([]);
    expect(plans.map((p) => p.kind)).toContain("delay");
  });
});

function planFaults(v: ClusterView): FaultPlan[] {
  const prng = new Prng(11);
  return Array.from({ length: 500 }, () => planFault(prng, v)).filter((p): p is FaultPlan => p !== undefined);
}
