import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bankModel, checkLinearizability, Prng, type LinearizabilityResult, type BankState, type BankInput, type BankOutput } from "@raft/core/testing";
import { checkApplied, checkConvergence, checkTotals, type Anomaly } from "./checks.js";
import { Clients, History, Route, type SentTransfer } from "./clients.js";
import { ChaosCluster } from "./cluster.js";
import type { FaultKind } from "./fault-plan.js";
import { FaultRunner, type FaultRecord } from "./fault-runner.js";
import { readState, settle, waitForLeader } from "./settle.js";

export interface ChaosOptions {
  minutes: number;
  seed: number;
  nodes: number;
  transport: "grpc" | "ws";
  /** The run's folder: history, reports, and (kept after a failure) the nodes' data. */
  out: string;
  writers?: number;
  balanceReaders?: number;
  accountReaders?: number;
  /** Time bound of the linearizability check, ms. */
  checkTimeoutMs?: number;
  keepData?: boolean;
  /** Progress lines (faults as they are injected, a summary every 10 s). */
  log?: (line: string) => void;
  /** Ends the run early (Ctrl-C): no checks, every process stopped. */
  signal?: AbortSignal;
}

export interface ChaosResult {
  options: ChaosOptions;
  passed: boolean;
  anomalies: Anomaly[];
  faults: FaultRecord[];
  faultCounts: Partial<Record<FaultKind, number>>;
  history: History;
  linearizability: LinearizabilityResult<BankState, BankInput, BankOutput> | undefined;
  /** Time from the heal to the first write acknowledged, ms (`undefined`: none within 60 s). */
  recoveryMs: number | undefined;
  members: number[];
  /** Nodes' output, for a failure. */
  logTails: string;
  elapsedMs: number;
}

/** The chaos run's node tuning: frequent snapshots (so restarts and new nodes install them), a request table no run fills. */
const tuning = { snapshotEntries: 2_000, keepTrailing: 200, dedupCapacity: 2_000_000 };
const accounts = Array.from({ length: 6 }, (_, i) => `acct-${i + 1}`);
const initialBalance = 1_000;

/**
 * One chaos run: a bank cluster under faults drawn from `seed` for
 * `minutes`, clients writing and reading throughout; then everything heals
 * and the run is checked. Every process it started is stopped, pass or fail.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => {});
  const started = performance.now();
  const nodesDir = join(o.out, "nodes");
  mkdirSync(nodesDir, { recursive: true });
  const cluster = await ChaosCluster.create({ dir: nodesDir, nodes: o.nodes, spares: Math.min(48, 4 + Math.ceil(o.minutes)), transport: o.transport, tuning });
  const anomalies: Anomaly[] = [];
  const history = new History(performance.now());
  const runner = new FaultRunner(cluster, o.seed, history.t0, log);
  const members = () => [...runner.voters, ...runner.learners].filter((id) => !runner.removed.has(id));
  const clients = new Clients(cluster, members, history, {
    writers: o.writers ?? 4,
    balanceReaders: o.balanceReaders ?? 2,
    accountReaders: o.accountReaders ?? 2,
    accounts,
    total: accounts.length * initialBalance,
    seed: o.seed,
  });
  let recoveryMs: number | undefined;
  let linearizability: ChaosResult["linearizability"];
  let passed = false;
  try {
    for (const id of cluster.founding) cluster.start(id);
    // Generous: five processes opening SQLite and loading at once can take long on a busy machine.
    const first = await waitForLeader(cluster, () => cluster.founding, 120_000);
    if (first === undefined) throw new Error("no leader within 120 s of the start");
    await openAccounts(new Route(cluster, () => cluster.founding, new Prng(o.seed)));
    log(`${o.nodes} nodes up (${o.transport}), node ${first.id} leads; faults for ${o.minutes} min from seed ${o.seed}; folder ${o.out}`);

    runner.start();
    clients.start();
    const end = performance.now() + o.minutes * 60_000;
    let lastProgress = performance.now();
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(1_000, end - performance.now())));
      if (o.signal?.aborted === true) throw new Error("interrupted");
      if (performance.now() - lastProgress < 10_000) continue;
      lastProgress = performance.now();
      const acked = history.transfers.filter((t) => t.outcome === "ok").length;
      log(
        `${((performance.now() - history.t0) / 1000).toFixed(0)}s: ${runner.faults.length} faults, ${history.operations.length} operations (${acked} transfers acknowledged), voters ${runner.voters.join(",")}`,
      );
    }

    // Heal, then a write must be acknowledged within 5 s.
    await runner.stop();
    runner.healAll();
    const healedAt = performance.now();
    log(`${((healedAt - history.t0) / 1000).toFixed(1)}s faults stopped, everything healed`);
    const probe: SentTransfer = { requestId: "probe-after-heal", client: "probe", from: accounts[0] as string, to: accounts[1] as string, amount: 1 };
    history.transfers.push(probe);
    const probeRoute = new Route(cluster, members, new Prng(o.seed));
    await Promise.race([clients.transfer(probeRoute, probe, new Prng(o.seed)), new Promise((r) => setTimeout(r, 60_000))]);
    if (probe.outcome !== undefined) recoveryMs = performance.now() - healedAt;
    if (recoveryMs === undefined || recoveryMs > 5_000) {
      anomalies.push({
        kind: "liveness",
        detail:
          recoveryMs === undefined ? "no write was acknowledged within 60 s of the heal" : `the first write after the heal was acknowledged after ${(recoveryMs / 1000).toFixed(2)} s (limit 5 s)`,
      });
    }
    const drained = await Promise.race([clients.stop().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
    if (!drained) {
      clients.abandon();
      await clients.stop();
      anomalies.push({ kind: "liveness", detail: "some writers still had no answer 30 s after the heal" });
    }

    // Every member settles on one state.
    await runner.refreshView();
    const leader = await waitForLeader(cluster, members, 20_000);
    if (leader === undefined) throw new Error("no leader after the heal");
    const final = await readState(cluster, leader.id, false);
    if (final === undefined) throw new Error(`the leader, node ${leader.id}, did not answer the final reads`);
    const memberIds = [...leader.members.voters, ...leader.members.learners];
    const { states, behind } = await settle(cluster, leader.id, memberIds, 60_000);
    for (const b of behind) anomalies.push({ kind: "convergence", detail: `${b} 60 s after the heal` });
    anomalies.push(
      ...checkConvergence(
        final,
        states.filter((s) => s.id !== leader.id),
      ),
    );

    // The checks of the history.
    anomalies.push(...checkTotals(history.totals, accounts.length * initialBalance));
    const known = new Set(accounts.map((id) => `open-${id}`));
    const initial = Object.fromEntries(accounts.map((id) => [id, initialBalance]));
    anomalies.push(...checkApplied(history.transfers, final.requests, known, initial, final.accounts));
    for (const s of history.surprises) anomalies.push({ kind: "client", detail: `client ${s.client}: ${s.what}` });
    log(`checking ${history.operations.length} operations for linearizability…`);
    linearizability = checkLinearizability(bankModel(initial), history.operations, { timeoutMs: o.checkTimeoutMs ?? 120_000 });
    if (linearizability.verdict === "illegal") anomalies.push({ kind: "linearizability", detail: "the history is not linearizable (see linearizability.html)" });
    if (linearizability.verdict === "unknown")
      anomalies.push({ kind: "linearizability", detail: `the linearizability check ran out of time (${linearizability.checked} of ${linearizability.partitions} parts checked)` });
    passed = anomalies.length === 0;
    return result();
  } catch (error) {
    anomalies.push({ kind: "liveness", detail: `the run stopped: ${(error as Error).message}` });
    return result();
  } finally {
    clients.abandon();
    await runner.stop().catch(() => {});
    runner.healAll();
    await cluster.dispose();
    if (passed && o.keepData !== true) rmSync(nodesDir, { recursive: true, force: true });
  }

  function result(): ChaosResult {
    return {
      options: o,
      passed,
      anomalies,
      faults: runner.faults,
      faultCounts: runner.counts(),
      history,
      linearizability,
      recoveryMs,
      members: members(),
      logTails: passed ? "" : cluster.logTails(),
      elapsedMs: performance.now() - started,
    };
  }
}

/** Opens the accounts (fixed request ids, retried until definite) through the leader. */
async function openAccounts(route: Route): Promise<void> {
  for (const id of accounts) {
    const deadline = performance.now() + 30_000;
    for (;;) {
      const reply = await route.send("POST", "/accounts", { id, balance: initialBalance, requestId: `open-${id}` }, 5_000);
      if (reply?.status === 201) break;
      if (performance.now() > deadline) throw new Error(`could not open ${id}: ${reply?.status} ${JSON.stringify(reply?.body)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
