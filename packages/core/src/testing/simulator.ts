import { isRaftError, Prng, type Index, type NodeId } from "../engine/index.js";
import { RaftNode } from "../runtime/index.js";
import { faultMixes, faultMixNames, type FaultMixName } from "./fault-mixes.js";
import { InMemoryNetwork } from "./in-memory-network.js";
import { MemoryLog } from "../contracts/memory-log.js";
import { SafetyChecker, type Violation } from "./safety-checker.js";
import { drainMicrotasks, SimClock } from "./sim-clock.js";
import { SimLogStore } from "./sim-log-store.js";
import { SimStateMachine } from "./sim-state-machine.js";
import { MemorySnapshotStore } from "./memory-snapshot-store.js";
import { incarnationOf } from "./shared-store.js";

export interface SimulationOptions {
  seed: number;
  /** Cluster size. Default 3. */
  nodes?: number;
  /** Fault mix; by default chosen from the seed. */
  mix?: FaultMixName;
  /** Length of the fault phase, simulated ms. Default 2000. */
  faultMs?: number;
  /** Length of the heal phase, simulated ms. Default 2000. */
  healMs?: number;
  /** Serve reads from the leader lease; by default chosen from the seed. */
  leaseRead?: boolean;
  /** Receives a line per notable event (for replaying a failing seed). */
  trace?: (line: string) => void;
}

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

const TICK_MS = 10;

interface SimNode {
  readonly id: NodeId;
  readonly durable: MemoryLog;
  readonly snapshots: MemorySnapshotStore;
  incarnation: number;
  starting: boolean;
  /** Removed from the cluster: it is never restarted. */
  retired: boolean;
  live?: { node: RaftNode<Index>; store: SimLogStore; sm: SimStateMachine };
}

/**
 * Runs a cluster of real `RaftNode`s on a simulated clock and network with
 * durable-only-after-fsync stores: a fault phase (drops, duplicates, delays,
 * partitions, crashes) with writes and reads throughout, then a heal phase in
 * which the cluster must converge. Safety is checked after every step. One
 * seed replays one run exactly.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const seed = options.seed;
  const prng = new Prng(seed);
  const mixName = options.mix ?? (faultMixNames[seed % faultMixNames.length] as FaultMixName);
  const mix = faultMixes[mixName];
  const size = options.nodes ?? 3;
  const leaseRead = options.leaseRead ?? prng.chance(0.3);
  // Small messages and windows split replication in ways large batches hide.
  const maxMsgEntries = [1, 2, 3, 8, 4096][prng.int(0, 5)] as number;
  const maxInflight = [1, 2, 8, 256][prng.int(0, 4)] as number;
  // Frequent snapshots and short trailing logs, so lagging and restarted nodes need installs;
  // tiny chunks so transfers span many of them; inline (embedded) transfers for some seeds.
  const snapshotEntries = prng.int(20, 150);
  const keepTrailing = prng.int(0, 30);
  const snapshotChunkBytes = prng.int(32, 257);
  const snapshotInlineBytes = prng.chance(0.3) ? 1 << 20 : 0;
  // Some runs keep snapshots in a shared bucket, a prefix per node (as on S3): followers
  // read the leader's snapshot from its location, and fall back to the leader when the
  // bucket is out of reach.
  const bucket = prng.chance(0.3) ? MemorySnapshotStore.bucket() : undefined;
  // Slow disks keep several writes in flight behind the loop, so group commit merges them
  // and the leader's own write lags its followers' (a crash loses whatever is in flight).
  const maxFsyncMs = [1, 3, 6, 10][prng.int(0, 4)] as number;
  const faultMs = options.faultMs ?? 2000;
  const healMs = options.healMs ?? 2000;
  const trace = options.trace ?? (() => {});

  const clock = new SimClock();
  const network = new InMemoryNetwork({ clock, seed: seed * 31 + 7 });
  network.faults = mix.network;
  network.streamFaults = mix.streams;
  const checker = new SafetyChecker();
  // The initial voters, then two spare nodes that membership changes may add.
  const ids = Array.from({ length: size }, (_, i) => i + 1);
  const allIds = mix.membership > 0 ? [...ids, size + 1, size + 2] : ids;
  const nodes: SimNode[] = allIds.map((id) => ({ id, durable: new MemoryLog(), snapshots: new MemorySnapshotStore({ now: () => clock.now(), bucket, prefix: `node-${id}/` }), incarnation: 0, starting: false, retired: false }));
  const stats = { writes: 0, writesAcked: 0, writesFailed: 0, reads: 0, readsOk: 0, readsFailed: 0, elections: 0, crashes: 0, partitions: 0, snapshots: 0, installs: 0, membershipChanges: 0 };
  const unsettled = new Set<Promise<unknown>>();
  const log = (line: string) => trace(`${String(clock.now()).padStart(6)}ms ${line}`);

  async function start(n: SimNode): Promise<void> {
    n.incarnation++;
    const store = new SimLogStore(n.durable, clock, new Prng(seed * 1000 + n.id * 10 + n.incarnation), maxFsyncMs);
    store.onDurable = (w) => checker.entriesWritten(n.id, w.entries, (i) => (i >= n.durable.firstIndex() - 1 && i <= n.durable.lastIndex() ? n.durable.term(i) : undefined));
    const sm = new SimStateMachine((c, value) => {
      checker.applied(n.id, c.index, c.term, value);
    });
    const node = new RaftNode<Index>({
      id: n.id,
      voters: ids,
      join: !ids.includes(n.id),
      tickMs: TICK_MS,
      electionTicks: 10,
      leaseRead,
      maxMsgEntries,
      maxInflight,
      snapshotEntries,
      keepTrailing,
      snapshotChunkBytes,
      snapshotInlineBytes,
      snapshotProgressTimeoutMs: 200,
      snapshotMaxAttempts: 3,
      snapshots: incarnationOf(n.snapshots),
      seed: seed * 100 + n.id * 7 + n.incarnation,
      log: store,
      stateMachine: sm,
      transport: network.transport(n.id),
      clock,
    });
    node.on("role", ({ role, term }) => {
      log(`node ${n.id} is ${role} in term ${term}`);
      if (role === "leader") {
        stats.elections++;
        const st = node.status();
        checker.leaderElected(n.id, term, (lo, hi) => node.logEntries(Math.max(lo, st.firstIndex), hi), st.lastIndex);
      }
    });
    node.on("snapshot", ({ kind, index }) => {
      log(`node ${n.id} ${kind} snapshot ${index}`);
      if (kind === "installed") stats.installs++;
      else stats.snapshots++;
    });
    node.on("error", ({ error }) => {
      log(`node ${n.id} failed: ${error.message}`);
      checker.nodeFailed(n.id, error);
    });
    n.starting = true;
    await node.start();
    n.starting = false;
    n.live = { node, store, sm };
  }

  async function crash(n: SimNode): Promise<void> {
    const live = n.live;
    if (live === undefined) return;
    log(`node ${n.id} crashes`);
    if (faults) stats.crashes++;
    n.live = undefined;
    live.store.crash();
    n.snapshots.crash();
    await live.node.stop();
  }

  function leaderGuess(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const n of nodes) {
      const s = n.live?.node.status();
      if (s !== undefined && s.role === "leader" && s.term > bestTerm) {
        best = n;
        bestTerm = s.term;
      }
    }
    const alive = nodes.filter((n) => n.live !== undefined);
    return best ?? alive[prng.int(0, alive.length)];
  }

  function track(p: Promise<unknown>): void {
    unsettled.add(p);
    void p.finally(() => unsettled.delete(p));
  }

  function issueWrite(n: SimNode | undefined): void {
    const node = n?.live?.node;
    if (node === undefined) return;
    const value = `w${stats.writes++}`;
    const p = node.propose(new TextEncoder().encode(value)).then(
      (index) => {
        stats.writesAcked++;
        checker.writeAcknowledged(index);
      },
      (e: unknown) => {
        stats.writesFailed++;
        if (!isRaftError(e)) throw e;
      },
    );
    track(p);
  }

  function issueRead(n: SimNode | undefined): void {
    const live = n?.live;
    if (n === undefined || live === undefined) return;
    stats.reads++;
    const token = checker.readStarted();
    const p = live.node.read().then(
      () => {
        stats.readsOk++;
        checker.readReturned(n.id, token, live.sm.appliedIndex);
      },
      (e: unknown) => {
        stats.readsFailed++;
        if (!isRaftError(e)) throw e;
      },
    );
    track(p);
  }

  let workload = true;
  function scheduleClient(): void {
    clock.setTimeout(() => {
      if (!workload) return;
      const target = prng.chance(0.8) ? leaderGuess() : nodes[prng.int(0, size)];
      if (prng.chance(0.25)) issueRead(target);
      else for (let i = prng.int(1, 4); i > 0; i--) issueWrite(target);
      scheduleClient();
    }, prng.int(2, 11));
  }

  let faults = true;
  const pendingStarts: Promise<void>[] = [];
  function scheduleFaults(): void {
    clock.setTimeout(() => {
      if (!faults) return;
      if (bucket !== undefined && prng.chance(mix.partition)) {
        bucket.unreachable = !bucket.unreachable;
        log(`bucket ${bucket.unreachable ? "unreachable" : "reachable"}`);
      }
      if (prng.chance(mix.partition)) {
        network.heal();
        network.faults = mix.network;
  network.streamFaults = mix.streams;
        if (prng.chance(0.5)) {
          const victim = ids[prng.int(0, size)] as NodeId;
          if (prng.chance(mix.oneWay)) {
            const other = ids.filter((id) => id !== victim)[prng.int(0, size - 1)] as NodeId;
            network.cut(victim, other);
            log(`link ${victim}→${other} cut`);
          } else {
            const shuffled = [...ids].sort(() => prng.next() - 0.5);
            const cut = prng.int(1, Math.ceil(size / 2) + 1);
            network.partition(shuffled.slice(0, cut), shuffled.slice(cut));
            log(`partition ${shuffled.slice(0, cut).join(",")} | ${shuffled.slice(cut).join(",")}`);
          }
          stats.partitions++;
        } else log("network healed");
      }
      if (prng.chance(mix.membership)) changeMembership();
      if (prng.chance(mix.diskStall)) stallDisk();
      if (prng.chance(mix.crash)) {
        const n = nodes[prng.int(0, nodes.length)] as SimNode;
        if (n.retired || (n.incarnation === 0 && !ids.includes(n.id))) {
          // never crash or start a node that is out of the cluster
        } else if (n.live !== undefined) pendingStarts.push(crash(n));
        else if (!n.starting) {
          log(`node ${n.id} restarts`);
          pendingStarts.push(start(n));
        }
      }
      scheduleFaults();
    }, prng.int(100, 400));
  }

  /** A disk stalls, the leader's more often than not; half the time its node then crashes with writes in flight. */
  function stallDisk(): void {
    const leader = leaderGuess();
    const n = leader !== undefined && prng.chance(0.6) ? leader : nodes[prng.int(0, nodes.length)];
    const live = n?.live;
    if (n === undefined || live === undefined) return;
    const ms = prng.int(20, 200);
    log(`node ${n.id}'s disk stalls for ${ms}ms`);
    live.store.stall(ms);
    if (prng.chance(0.5)) {
      clock.setTimeout(() => {
        if (faults && n.live === live) pendingStarts.push(crash(n));
      }, prng.int(5, ms));
    }
  }

  /** One membership step on the current leader: add a spare as learner, promote a learner, or remove a voter. */
  function changeMembership(): void {
    const leader = leaderGuess()?.live?.node;
    if (leader === undefined || leader.status().role !== "leader") return;
    const m = leader.status().membership;
    const members = new Set([...m.voters, ...m.learners, ...(m.outgoing ?? [])]);
    const learner = m.learners[0];
    const spare = nodes.find((n) => !members.has(n.id) && !n.retired && n.incarnation === 0);
    let op: Promise<unknown> | undefined;
    if (learner !== undefined) {
      log(`promote ${learner}`);
      op = leader.promote(learner);
    } else if (spare !== undefined && prng.chance(0.6)) {
      log(`add learner ${spare.id}`);
      pendingStarts.push(start(spare));
      op = leader.addLearner(spare.id);
    } else if (m.voters.length > size) {
      const victim = m.voters[prng.int(0, m.voters.length)] as NodeId;
      log(`remove ${victim}`);
      op = leader.removeMember(victim).then(() => {
        const n = nodes.find((x) => x.id === victim);
        if (n !== undefined) n.retired = true;
      });
    }
    if (op === undefined) return;
    stats.membershipChanges++;
    track(op.catch((e: unknown) => {
      if (!isRaftError(e)) throw e;
    }));
  }

  async function runUntil(end: number): Promise<void> {
    while (checker.violations.length === 0 && clock.fireNext(end)) {
      checker.now = clock.now();
      await drainMicrotasks();
    }
    // A start may still wait for a simulated write (a log reset after a crash): time goes on until it is done.
    let started = false;
    const starts = Promise.all(pendingStarts.splice(0)).finally(() => (started = true));
    await drainMicrotasks();
    while (!started && clock.fireNext()) await drainMicrotasks();
    await starts;
  }

  for (const n of nodes) if (ids.includes(n.id)) await start(n);
  scheduleClient();
  scheduleFaults();
  await runUntil(faultMs);

  // Heal: no more faults or new clients; every node back; the cluster must converge.
  log("heal");
  faults = false;
  workload = false;
  network.heal();
  if (bucket !== undefined) bucket.unreachable = false;
  for (const n of nodes) if (n.live === undefined && !n.retired && n.incarnation > 0) pendingStarts.push(start(n));
  await runUntil(faultMs + healMs);
  // Nodes outside the final configuration are shut down, as an operator would; their clients fail cleanly.
  const leaderNow = leaderGuess()?.live?.node.status();
  const finalMembers = new Set(leaderNow === undefined ? allIds : [...leaderNow.membership.voters, ...leaderNow.membership.learners]);
  for (const n of nodes) if (!finalMembers.has(n.id)) await crash(n);
  await drainMicrotasks();

  const members = nodes.filter((n) => finalMembers.has(n.id));
  const liveness = checker.violations.length === 0 ? checkConverged(members, unsettled.size) : [];
  // Writes still waiting for a simulated fsync would wait forever: crash every node to end the run.
  for (const n of nodes) await crash(n);
  await drainMicrotasks();
  return {
    seed,
    nodes: size,
    mix: mixName,
    leaseRead,
    violations: checker.violations,
    liveness,
    stats: { ...stats, ...network.stats, locatedSnapshotBytes: bucket?.locatedBytesRead ?? 0 },
    ok: checker.violations.length === 0 && liveness.length === 0,
  };
}

/** After healing: one leader all nodes agree on, no client left waiting, identical state machines. */
function checkConverged(nodes: readonly SimNode[], unsettled: number): string[] {
  const problems: string[] = [];
  for (const n of nodes) if (n.live === undefined) problems.push(`member ${n.id} is not running`);
  const running = nodes.filter((n) => n.live !== undefined);
  const statuses = running.map((n) => (n.live as NonNullable<SimNode["live"]>).node.status());
  const leaders = statuses.filter((s) => s.role === "leader");
  if (leaders.length !== 1) problems.push(`expected one leader after healing, found ${leaders.length}`);
  const leader = leaders[0];
  if (leader !== undefined) {
    for (const s of statuses) {
      if (s.leader !== leader.id || s.term !== leader.term) problems.push(`node ${s.id} follows ${s.leader} in term ${s.term}, not ${leader.id} in ${leader.term}`);
      if (s.applied !== leader.commit) problems.push(`node ${s.id} applied ${s.applied}, leader committed ${leader.commit}`);
    }
  }
  if (unsettled > 0) problems.push(`${unsettled} client requests never settled (${JSON.stringify(statuses.map((s) => [s.id, s.role, s.commit, s.applied, s.lastIndex, s.pendingProposals, s.pendingReads, s.progress ? [...s.progress] : null]))})`);
  const states = running.map((n) => (n.live as NonNullable<SimNode["live"]>).sm.values.join(","));
  if (new Set(states).size > 1) {
    const lengths = running.map((n) => `${n.id}:${n.live?.sm.values.length}@${n.live?.sm.appliedIndex}`).join(" ");
    problems.push(`state machines differ after healing (${lengths}; ${JSON.stringify(statuses.map((s) => [s.id, s.role, s.commit, s.applied, s.lastIndex]))})`);
  }
  return problems;
}

/** The one command that replays a seed, printed with every failure. */
export function replayCommand(r: Pick<SimulationResult, "seed" | "nodes" | "mix" | "leaseRead">): string {
  return `SIM_SEED=${r.seed} SIM_NODES=${r.nodes} SIM_MIX=${r.mix} SIM_LEASE=${r.leaseRead ? 1 : 0} pnpm --filter @raft/core exec vitest run test/simulation/replay.test.ts`;
}
