import type { Prng } from "@raft/core/testing";

/** Every kind of fault the harness injects. */
export const faultKinds = ["kill", "pause", "partition", "one-way", "bridge", "delay", "transfer-leader", "snapshot", "add-node", "remove-node"] as const;
export type FaultKind = (typeof faultKinds)[number];

/** One fault, drawn from the seed; those with `ms` are undone after that long (or at the heal). */
export type FaultPlan =
  /** SIGKILL, then a restart from the node's files. */
  | { kind: "kill"; node: number; ms: number }
  /** SIGSTOP, then SIGCONT. */
  | { kind: "pause"; node: number; ms: number }
  /** No connection between `side` and every other node, either way. */
  | { kind: "partition"; side: number[]; ms: number }
  /** What `node` sends (`out`) or receives (`in`) vanishes; the other way still works. */
  | { kind: "one-way"; node: number; direction: "out" | "in"; ms: number }
  /** `left` and `right` cannot talk to each other; `bridge` talks to both. */
  | { kind: "bridge"; bridge: number; left: number[]; right: number[]; ms: number }
  /** Every link of `node`, both ways, `delayMs` slower. */
  | { kind: "delay"; node: number; delayMs: number; ms: number }
  /** The leader hands over to `to`. */
  | { kind: "transfer-leader"; to: number }
  /** `node` takes a snapshot now. */
  | { kind: "snapshot"; node: number }
  /** A new node joins: a learner, caught up, then a voter. */
  | { kind: "add-node"; node: number }
  /** A voter leaves the cluster (the leader too) and its process is stopped. */
  | { kind: "remove-node"; node: number };

/** What the planner knows of the cluster when it draws the next fault. */
export interface ClusterView {
  voters: readonly number[];
  learners: readonly number[];
  leader: number | undefined;
  /** Nodes down or cut off by faults in progress: killed, paused, on the far side of a partition. */
  impaired: ReadonlySet<number>;
  /** Nodes a fault or membership change in progress holds: nothing else touches them. */
  busy: ReadonlySet<number>;
  /** Ids that never ran yet, for new nodes. */
  spares: readonly number[];
  /** A membership change is in progress (one at a time). */
  membershipBusy: boolean;
  /** The founding cluster size: membership changes keep the voters within one of it. */
  size: number;
}

const weights: Record<FaultKind, number> = {
  kill: 3,
  pause: 2,
  partition: 2,
  "one-way": 1.5,
  bridge: 1,
  delay: 1,
  "transfer-leader": 1.5,
  snapshot: 1,
  "add-node": 0.75,
  "remove-node": 0.75,
};

/** How many of `voters` may be down at once: a minority. */
export function maxDown(voters: number): number {
  return Math.floor((voters - 1) / 2);
}

/** The nodes a fault takes away from the cluster while it lasts. */
export function impairs(plan: FaultPlan): number[] {
  switch (plan.kind) {
    case "kill":
    case "pause":
    case "one-way":
      return [plan.node];
    case "partition":
      return plan.side;
    case "bridge":
      return plan.right;
    default:
      return [];
  }
}

/**
 * Draws the next fault from `prng`, or `undefined` when the one drawn cannot
 * be injected now. Whatever it returns keeps the impaired voters a minority,
 * of the voters now and after a removal it plans.
 */
export function planFault(prng: Prng, view: ClusterView): FaultPlan | undefined {
  const kind = pick(prng, faultKinds, (k) => weights[k]);
  const members = [...view.voters, ...view.learners];
  const free = members.filter((id) => !view.busy.has(id));
  const impairedVoters = view.voters.filter((id) => view.impaired.has(id)).length;
  const room = maxDown(view.voters.length) - impairedVoters;
  const ms = () => prng.int(1_000, 8_000);
  const canImpair = (nodes: readonly number[]) => nodes.filter((id) => view.voters.includes(id)).length <= room;
  const one = (): number | undefined => (free.length === 0 ? undefined : free[prng.int(0, free.length)]);
  switch (kind) {
    case "kill":
    case "pause": {
      const node = one();
      return node !== undefined && canImpair([node]) ? { kind, node, ms: ms() } : undefined;
    }
    case "one-way": {
      const node = one();
      return node !== undefined && canImpair([node]) ? { kind, node, direction: prng.chance(0.5) ? "out" : "in", ms: ms() } : undefined;
    }
    case "partition": {
      if (room < 1 || free.length === 0) return undefined;
      const side = shuffled(prng, free).slice(0, prng.int(1, Math.min(room, free.length) + 1));
      return canImpair(side) ? { kind, side, ms: ms() } : undefined;
    }
    case "bridge": {
      // Two halves that reach each other only through the bridge: the right one, a minority, is impaired.
      if (free.length < 3 || room < 1) return undefined;
      const [bridge, ...rest] = shuffled(prng, free);
      const right = rest.slice(0, Math.min(room, Math.floor(rest.length / 2)));
      const left = members.filter((id) => id !== bridge && !right.includes(id));
      return right.length > 0 && bridge !== undefined && canImpair(right) ? { kind, bridge, left, right, ms: ms() } : undefined;
    }
    case "delay": {
      const node = one();
      return node === undefined ? undefined : { kind, node, delayMs: prng.int(20, 200), ms: ms() };
    }
    case "transfer-leader": {
      const targets = view.voters.filter((id) => id !== view.leader && !view.impaired.has(id) && !view.busy.has(id));
      return view.leader === undefined || view.busy.has(view.leader) || targets.length === 0 ? undefined : { kind, to: targets[prng.int(0, targets.length)] as number };
    }
    case "snapshot": {
      const node = one();
      return node === undefined || view.impaired.has(node) ? undefined : { kind, node };
    }
    case "add-node": {
      const node = view.spares[0];
      return view.membershipBusy || node === undefined || view.voters.length > view.size ? undefined : { kind, node };
    }
    case "remove-node": {
      if (view.membershipBusy || view.voters.length < view.size || view.voters.length <= 3) return undefined;
      // The leader a third of the time; else any voter nothing else holds.
      const candidates = view.leader !== undefined && !view.busy.has(view.leader) && prng.chance(1 / 3) ? [view.leader] : view.voters.filter((id) => !view.busy.has(id));
      const node = candidates[prng.int(0, candidates.length)];
      if (node === undefined) return undefined;
      const left = view.voters.filter((id) => id !== node);
      const impairedLeft = left.filter((id) => view.impaired.has(id)).length;
      return impairedLeft <= maxDown(left.length) ? { kind, node } : undefined;
    }
  }
}

function pick<T>(prng: Prng, items: readonly T[], weight: (item: T) => number): T {
  const total = items.reduce((sum, item) => sum + weight(item), 0);
  let r = prng.next() * total;
  for (const item of items) {
    r -= weight(item);
    if (r < 0) return item;
  }
  return items[items.length - 1] as T;
}

function shuffled<T>(prng: Prng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = prng.int(0, i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
