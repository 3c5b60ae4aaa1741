import { Prng } from "@raft/core/testing";
import type { ChaosCluster } from "./cluster.js";
import { impairs, planFault, type ClusterView, type FaultKind, type FaultPlan } from "./fault-plan.js";
import { addNode, bankCommand, removeNode } from "./membership.js";

/** A fault injected, as the report lists it. */
export interface FaultRecord {
  at: number;
  plan: FaultPlan;
  /** What came of an operation (transfer, snapshot, membership change): `ok`, or why not. */
  outcome?: string;
}

interface Active {
  plan: FaultPlan;
  nodes: number[];
  timer: NodeJS.Timeout;
  undo: () => void;
}

/**
 * Draws faults from the seed and carries them out on the cluster until
 * `stop()`, then `healAll()` undoes whatever is still in effect: restarts
 * killed nodes, resumes paused ones, restores every link. The membership
 * the planner sees is the leader's, read every half second.
 */
export class FaultRunner {
  readonly faults: FaultRecord[] = [];
  voters: number[];
  learners: number[] = [];
  leader: number | undefined;
  /** Members removed: their processes were stopped and stay down. */
  readonly removed = new Set<number>();
  private readonly prng: Prng;
  private readonly active = new Set<Active>();
  private readonly busy = new Set<number>();
  private readonly spares: number[];
  private membership: Promise<void> | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly cluster: ChaosCluster,
    seed: number,
    private readonly t0: number,
    private readonly log: (line: string) => void,
  ) {
    this.prng = new Prng(seed);
    this.voters = [...cluster.founding];
    this.spares = cluster.ids.filter((id) => !cluster.founding.includes(id));
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let lastView = 0;
    while (!this.stopped) {
      if (performance.now() - lastView > 500) {
        await this.refreshView();
        lastView = performance.now();
      }
      const plan = planFault(this.prng, this.view());
      const pause = this.prng.int(300, 2_500);
      if (plan !== undefined) await this.inject(plan);
      await sleep(pause);
    }
  }

  /** Stops drawing faults and waits for a membership change in progress (bounded by its own timeouts). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    while (this.membership !== undefined) {
      await this.refreshView();
      await Promise.race([this.membership, sleep(500)]);
    }
  }

  /** Undoes every fault still in effect. */
  healAll(): void {
    for (const a of [...this.active]) this.end(a);
    this.cluster.mesh.healAll();
  }

  /** Faults injected, by kind. */
  counts(): Record<FaultKind, number> {
    const out = {} as Record<FaultKind, number>;
    for (const f of this.faults) out[f.plan.kind] = (out[f.plan.kind] ?? 0) + 1;
    return out;
  }

  private view(): ClusterView {
    const impaired = new Set<number>();
    for (const a of this.active) for (const id of a.nodes) impaired.add(id);
    return {
      voters: this.voters,
      learners: this.learners,
      leader: this.leader,
      impaired,
      busy: this.busy,
      spares: this.spares,
      membershipBusy: this.membership !== undefined,
      size: this.cluster.founding.length,
    };
  }

  /** Reads the membership from the leader (the first running node that leads and answers). */
  async refreshView(): Promise<void> {
    const candidates = [...this.voters, ...this.learners].filter((id) => this.cluster.isRunning(id) && !this.cluster.isPaused(id));
    const statuses = await Promise.all(candidates.map((id) => this.cluster.status(id, 500)));
    const leader = statuses.filter((s) => s?.role === "leader").sort((a, b) => (b?.term ?? 0) - (a?.term ?? 0))[0];
    this.leader = leader?.id;
    if (leader === undefined) return;
    this.voters = [...leader.members.voters];
    this.learners = [...leader.members.learners];
  }

  private record(plan: FaultPlan): FaultRecord {
    const record: FaultRecord = { at: Math.round(performance.now() - this.t0), plan };
    this.faults.push(record);
    this.log(`${(record.at / 1000).toFixed(1)}s ${describePlan(plan)}`);
    return record;
  }

  private async inject(plan: FaultPlan): Promise<void> {
    const c = this.cluster;
    switch (plan.kind) {
      case "kill":
        this.record(plan);
        await c.kill(plan.node);
        return this.hold(plan, [plan.node], () => c.start(plan.node));
      case "pause":
        if (!c.pause(plan.node)) return;
        this.record(plan);
        return this.hold(plan, [plan.node], () => c.resume(plan.node));
      case "partition":
      case "one-way":
      case "bridge":
      case "delay":
        this.record(plan);
        return this.hold(
          plan,
          plan.kind === "delay" ? [] : impairs(plan),
          () => this.applyNetwork(),
          [plan.kind === "partition" ? plan.side : plan.kind === "bridge" ? [plan.bridge, ...plan.right] : [plan.node]].flat(),
        );
      case "transfer-leader": {
        const record = this.record(plan);
        const moved = await bankCommand(c, ["transfer-leadership", "--to", String(plan.to)], 6);
        record.outcome = moved.ok ? "ok" : moved.last;
        return;
      }
      case "snapshot": {
        const record = this.record(plan);
        const reply = await c.request(plan.node, "POST", "/admin/snapshot", undefined, 10_000);
        record.outcome = reply === undefined ? "no answer" : reply.status === 200 ? "ok" : String(reply.body.error ?? reply.status);
        return;
      }
      case "add-node":
      case "remove-node": {
        const wasLeader = plan.kind === "remove-node" && plan.node === this.leader;
        const record = this.record(plan);
        if (plan.kind === "add-node") this.spares.splice(this.spares.indexOf(plan.node), 1);
        this.busy.add(plan.node);
        const change = plan.kind === "add-node" ? addNode(c, plan.node, () => this.leader) : removeNode(c, plan.node, () => this.leader);
        this.membership = change
          .then((outcome) => {
            record.outcome = wasLeader ? `${outcome} (it led)` : outcome;
            if (plan.kind === "remove-node" && outcome.startsWith("ok")) this.removed.add(plan.node);
            this.log(`${((performance.now() - this.t0) / 1000).toFixed(1)}s ${plan.kind} ${plan.node}: ${outcome}`);
          })
          .finally(() => {
            this.busy.delete(plan.node);
            this.membership = undefined;
          });
        return;
      }
    }
  }

  /** Keeps a fault in effect for `plan.ms` (or until the heal); `nodes` are impaired meanwhile, `hold` held from other faults. */
  private hold(plan: FaultPlan & { ms: number }, nodes: number[], undo: () => void, hold: number[] = nodes): void {
    for (const id of hold) this.busy.add(id);
    const active: Active = { plan, nodes, undo, timer: setTimeout(() => this.end(active), plan.ms) };
    active.undo = () => {
      for (const id of hold) this.busy.delete(id);
      undo();
    };
    this.active.add(active);
    if (plan.kind === "partition" || plan.kind === "one-way" || plan.kind === "bridge" || plan.kind === "delay") this.applyNetwork();
  }

  private end(active: Active): void {
    if (!this.active.delete(active)) return;
    clearTimeout(active.timer);
    // A one-way partition drops bytes while the connections stay up, which TCP never does: a stream that lost
    // some is corrupt (HTTP/2 flow-control credit spent on frames that never arrived is never returned). When it
    // ends, its connections are reset, as a TCP connection whose peer stopped acknowledging would time out.
    const p = active.plan;
    if (p.kind === "one-way") for (const b of this.cluster.ids) if (b !== p.node) this.cluster.mesh.cut(p.node, b);
    active.undo();
  }

  /** Sets every link to what the network faults in effect say: a clean mesh, then each fault again. */
  private applyNetwork(): void {
    const mesh = this.cluster.mesh;
    const all = this.cluster.ids;
    mesh.healAll();
    for (const { plan: p } of this.active) {
      if (p.kind === "partition") for (const a of p.side) for (const b of all) if (!p.side.includes(b)) mesh.cut(a, b);
      if (p.kind === "bridge") for (const a of p.left) for (const b of p.right) mesh.cut(a, b);
      if (p.kind === "one-way") for (const b of all) if (b !== p.node) mesh.dropFrom(p.direction === "out" ? p.node : b, p.direction === "out" ? b : p.node);
      if (p.kind === "delay") for (const b of all) if (b !== p.node) mesh.delay(p.node, b, p.delayMs);
    }
  }
}

export function describePlan(plan: FaultPlan): string {
  switch (plan.kind) {
    case "kill":
    case "pause":
      return `${plan.kind} node ${plan.node} for ${plan.ms} ms`;
    case "partition":
      return `partition {${plan.side.join(",")}} from the rest for ${plan.ms} ms`;
    case "one-way":
      return `one-way: node ${plan.node} ${plan.direction === "out" ? "cannot send" : "cannot receive"} for ${plan.ms} ms`;
    case "bridge":
      return `bridge: {${plan.left.join(",")}} | ${plan.bridge} | {${plan.right.join(",")}} for ${plan.ms} ms`;
    case "delay":
      return `delay node ${plan.node}'s links by ${plan.delayMs} ms for ${plan.ms} ms`;
    case "transfer-leader":
      return `transfer leadership to node ${plan.to}`;
    case "snapshot":
      return `snapshot on node ${plan.node}`;
    case "add-node":
      return `add node ${plan.node}`;
    case "remove-node":
      return `remove node ${plan.node}`;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
