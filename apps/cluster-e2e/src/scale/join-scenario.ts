import type { ReadResult, SnapshotNodeStatus, SnapshotSummary } from "./protocol.js";
import { cpuOf, type CpuTime } from "./rss.js";
import { sleep, type SnapshotCluster } from "./snapshot-cluster.js";

const MiB = 1 << 20;

/** RSS of one process over a transfer: the idle level before it (median, after a full GC) and the peak during it. */
export interface RssGrowth {
  readonly idle: number;
  readonly peak: number;
  readonly growth: number;
}

/** A fault injected once the joining node holds `at` of the snapshot. */
export type Fault =
  /** Every socket between the joining node and the cluster is reset (TcpProxy cut) for `forMs`, then the links come back. */
  | { readonly kind: "cut"; readonly at: number; readonly forMs: number }
  /** The node serving the snapshot (the leader) is SIGKILLed; a new leader offers the same snapshot. */
  | { readonly kind: "kill-leader"; readonly at: number };

export interface PreparedCluster {
  readonly leader: number;
  readonly snapshot: SnapshotSummary;
  /** Milliseconds to take the snapshot (on every voter, in parallel, or on the leader). */
  readonly takeMs: number;
}

/**
 * Starts the voters, makes the state `bytes` bytes generated from `seed`
 * (one command), and takes a snapshot on `on` (every voter, so a new leader
 * holds the same snapshot — same content, same id — or the leader only).
 */
export async function prepare(c: SnapshotCluster, bytes: number, seed: number, on: "all" | "leader"): Promise<PreparedCluster> {
  for (const id of c.voters) await c.start(id);
  const leader = await c.waitForLeader();
  await c.propose({ op: "generate", bytes, seed });
  await c.propose({ op: "touch" });
  // Every voter at the leader's commit index, so a snapshot on each is of the same state (the same id).
  const { commit } = await c.node(leader).request("status");
  await c.waitFor("every voter to apply the state", async () => (await c.statuses()).every((s) => s.applied >= commit));
  const t0 = performance.now();
  const takers = on === "all" ? c.voters : [leader];
  const taken = await Promise.all(takers.map((id) => c.node(id).request("take-snapshot")));
  const takeMs = performance.now() - t0;
  const ids = new Set(taken.map((s) => s.id));
  if (ids.size !== 1) throw new Error(`the voters took different snapshots: ${[...ids].join(", ")}`);
  return { leader, snapshot: taken[0] as SnapshotSummary, takeMs };
}

export interface JoinResult {
  readonly joiner: number;
  /** The leader that offered the snapshot first, and the one that led when it was installed. */
  readonly firstLeader: number;
  readonly finalLeader: number;
  readonly snapshot: SnapshotSummary;
  /** add-learner → snapshot fetched, verified and restored on the joining node (its `installed` event). */
  readonly seconds: number;
  readonly mbPerSecond: number;
  readonly rss: { readonly leader: RssGrowth; readonly joiner: RssGrowth; readonly finalLeader?: RssGrowth };
  /**
   * CPU seconds used from add-learner to the install (the whole process, and
   * its main thread alone) by the joining node and the leader that served it
   * (without a fault). On a busy machine MB/s swing; CPU per MiB does not
   * much, and the busiest main thread bounds what a quiet machine reaches.
   */
  readonly cpu: { readonly leader?: CpuTime; readonly joiner: CpuTime };
  /** The joining node's status once installed, and every voter's. */
  readonly joinerStatus: SnapshotNodeStatus;
  readonly leaderStatuses: readonly SnapshotNodeStatus[];
  /** What the first leader had served when it was killed (kill-leader only). */
  readonly killedLeaderSent?: { readonly runtime: number; readonly transport: number };
  /** A linearizable read on the joining node after the install. */
  readonly read: ReadResult;
  /** Where the joining node held the snapshot when the fault struck (bytes). */
  readonly faultAt?: number;
}

/**
 * Starts node `joiner` (idle, measured), adds it as a learner on the leader,
 * optionally injects `fault` midway, waits for it to install the snapshot,
 * and reads through it. RSS of the leader and the joiner is sampled
 * throughout (every 100 ms): growth is the peak during the transfer over
 * each one's idle median just before it.
 */
export async function joinAndMeasure(c: SnapshotCluster, prepared: PreparedCluster, joiner: number, fault?: Fault, timeoutMs = 30 * 60_000): Promise<JoinResult> {
  const leader = prepared.leader;
  const size = prepared.snapshot.size;
  await c.start(joiner, true);
  const idleFrom = await c.settle();
  const leaderPid = c.node(leader).pid;
  const joinerPid = c.node(joiner).pid;
  const cpu0 = { leader: await cpuOf(leaderPid), joiner: await cpuOf(joinerPid) };
  const t0 = Date.now();
  const busyFrom = performance.now();
  await c.node(leader).request("add-learner", { id: joiner, address: await c.addressForCluster(joiner) });

  let faultAt: number | undefined;
  let killedLeaderSent: JoinResult["killedLeaderSent"];
  if (fault !== undefined) {
    faultAt = await c.waitFor(
      `node ${joiner} to hold ${fault.at} bytes`,
      async () => {
        const s = await c.node(joiner).request("status");
        const held = s.transfers.find((t) => t.direction === "receive")?.bytesDone ?? 0;
        if (s.installedAt.length > 0) throw new Error(`node ${joiner} installed the snapshot before the fault could strike: make it bigger`);
        return held >= fault.at ? held : undefined;
      },
      timeoutMs,
      10,
    );
    if (fault.kind === "cut") {
      c.cutLinks();
      await sleep(fault.forMs);
      c.restoreLinks();
    } else {
      const s = await c.node(leader).request("status");
      killedLeaderSent = { runtime: s.snapshots.bytesSent ?? 0, transport: s.transport.snapshotBytesSent };
      await c.kill(leader);
    }
  }

  const installedAt = await c.waitFor(`node ${joiner} to install the snapshot`, async () => (await c.node(joiner).request("status")).installedAt[0], timeoutMs, 50);
  const cpu1 = { leader: await cpuOf(leaderPid), joiner: await cpuOf(joinerPid) };
  const used = (a: CpuTime | undefined, b: CpuTime | undefined): CpuTime | undefined => {
    if (a === undefined || b === undefined) return undefined;
    const threads = Object.fromEntries(Object.entries(b.threads ?? {}).map(([name, s]) => [name, s - (a.threads?.[name] ?? 0)]));
    return { process: b.process - a.process, mainThread: b.mainThread - a.mainThread, threads };
  };
  const cpu = { ...(fault === undefined ? { leader: used(cpu0.leader, cpu1.leader) } : {}), joiner: used(cpu0.joiner, cpu1.joiner) as CpuTime };
  const busyTo = performance.now() + 200;
  await sleep(250);
  const seconds = (installedAt - t0) / 1000;
  const finalLeader = await c.waitForLeader();
  const read = await c.node(joiner).request("read");
  const growth = (pid: number): RssGrowth => {
    const idle = c.rss.median(pid, idleFrom, busyFrom);
    const peak = c.rss.peak(pid, busyFrom, busyTo);
    return { idle, peak, growth: peak - idle };
  };
  const rss: JoinResult["rss"] =
    finalLeader === leader
      ? { leader: growth(leaderPid), joiner: growth(joinerPid) }
      : { leader: growthUntilKilled(c, leaderPid, idleFrom, busyFrom), joiner: growth(joinerPid), finalLeader: growth(c.node(finalLeader).pid) };
  return {
    joiner,
    firstLeader: leader,
    finalLeader,
    snapshot: prepared.snapshot,
    seconds,
    mbPerSecond: size / 1e6 / seconds,
    rss,
    cpu,
    joinerStatus: await c.node(joiner).request("status"),
    leaderStatuses: await Promise.all(c.voters.filter((id) => c.nodes.get(id)?.alive === true).map((id) => c.node(id).request("status"))),
    ...(killedLeaderSent !== undefined ? { killedLeaderSent } : {}),
    read,
    ...(faultAt !== undefined ? { faultAt } : {}),
  };
}

function growthUntilKilled(c: SnapshotCluster, pid: number, idleFrom: number, busyFrom: number): RssGrowth {
  const idle = c.rss.median(pid, idleFrom, busyFrom);
  const peak = c.rss.peak(pid, busyFrom);
  return { idle, peak, growth: peak - idle };
}

export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
