import { Prng } from "../../engine/index.js";
import type { FaultMixName } from "../fault-mixes.js";
import type { Violation } from "../safety-checker.js";
import { drainMicrotasks } from "../sim-clock.js";
import { checkConverged } from "./convergence.js";
import { FaultScheduler } from "./faults.js";
import { drawSettings, type SimulationOptions } from "./settings.js";
import { SimCluster } from "./sim-cluster.js";
import { Workload } from "./workload.js";

export interface SimulationResult {
  readonly seed: number;
  readonly nodes: number;
  readonly mix: FaultMixName;
  readonly leaseRead: boolean;
  readonly violations: readonly Violation[];
  /** Heal-phase failures: no leader, unsettled proposals, diverged state machines. */
  readonly liveness: readonly string[];
  readonly stats: Readonly<Record<string, number>>;
  readonly ok: boolean;
}

/**
 * Runs a cluster of real `RaftNode`s on a simulated clock, network and disks
 * (writes durable only after a simulated fsync; stalls; crashes that lose
 * what is in flight): a fault phase with writes and reads throughout, then a
 * heal phase in which the cluster must converge. Safety is checked after
 * every step. One seed replays one run exactly.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const prng = new Prng(options.seed);
  const settings = drawSettings(options, prng);
  const c = new SimCluster(settings, prng, options.trace ?? (() => {}));
  const workload = new Workload(c);
  const faults = new FaultScheduler(c);

  for (const n of c.nodes) if (c.ids.includes(n.id)) await c.start(n);
  workload.start();
  faults.start();
  await c.runUntil(settings.faultMs);

  // Heal: no more faults or new clients; every node back; the cluster must converge.
  c.log("heal");
  c.faulty = false;
  faults.stop();
  workload.stop();
  c.network.heal();
  if (settings.bucket !== undefined) settings.bucket.unreachable = false;
  for (const n of c.nodes) if (n.live === undefined && !n.retired && n.incarnation > 0) c.pendingStarts.push(c.start(n));
  await c.runUntil(settings.faultMs + settings.healMs);
  // Nodes outside the final configuration are shut down, as an operator would; their clients fail cleanly.
  const leaderNow = c.leaderGuess()?.live?.node.status();
  const finalMembers = new Set(leaderNow === undefined ? c.allIds : [...leaderNow.membership.voters, ...leaderNow.membership.learners]);
  for (const n of c.nodes) if (!finalMembers.has(n.id)) await c.crash(n);
  await drainMicrotasks();

  const violations = c.checker.violations;
  const liveness =
    violations.length === 0
      ? checkConverged(
          c.nodes.filter((n) => finalMembers.has(n.id)),
          c.unsettled.size,
        )
      : [];
  // Writes still waiting for a simulated fsync would wait forever: crash every node to end the run.
  for (const n of c.nodes) await c.crash(n);
  await drainMicrotasks();
  return {
    seed: settings.seed,
    nodes: settings.size,
    mix: settings.mixName,
    leaseRead: settings.leaseRead,
    violations,
    liveness,
    stats: { ...c.stats, ...c.network.stats, locatedSnapshotBytes: settings.bucket?.locatedBytesRead ?? 0 },
    ok: violations.length === 0 && liveness.length === 0,
  };
}

/** The one command that replays a seed, printed with every failure. */
export function replayCommand(r: Pick<SimulationResult, "seed" | "nodes" | "mix" | "leaseRead">): string {
  return `SIM_SEED=${r.seed} SIM_NODES=${r.nodes} SIM_MIX=${r.mix} SIM_LEASE=${r.leaseRead ? 1 : 0} pnpm --filter @raft/core exec vitest run test/simulation/replay.test.ts`;
}
