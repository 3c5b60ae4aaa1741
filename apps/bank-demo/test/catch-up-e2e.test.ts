// Catch-up without stalling the leader, with real processes.
//
// Five bank nodes (`bank-demo node --config`, SQLite log with
// synchronous=FULL, disk snapshots, gRPC) on 127.0.0.1. Every Raft connection
// to and from node 5 goes through a TcpProxy of the test's, one per ordered
// pair (node a dials node b through the proxy a→b: the founding voters carry
// no addresses in their membership, so the transports dial the configured
// `peers`, which are the proxies), so the test can cut node 5 off while its
// HTTP API stays up. Snapshots are pushed out of reach (`snapshotEntries` 10 M;
// the 64 MiB byte trigger is not reached either), so both followers must
// catch up from the leader's log: the test checks that no snapshot was taken
// or installed. Entries are ~100 bytes, as the bank's clients make them, so
// the 100,000-entry backlog (~10 MiB) is served from the leader's in-memory
// log cache (16 MiB). CATCHUP_E2E_LARGE_ENTRIES=1 makes them ~280 bytes: the
// backlog (~27 MiB) outgrows the cache and its older part is read back from
// SQLite. Measured here that way the leader does NOT meet the target yet
// (catch-up p99 82–99 ms, max 220–270 ms, slow turns logged by the leader:
// storage reads of the catch-up on its loop), which is why it is not the
// default; `pnpm bench` (catch-up of 1,000,000 entries) shows the same.
//
// 1. Nodes 1–4 elect a leader L; node 5 starts and follows.
// 2. 48 closed-loop HTTP clients (keep-alive, one socket each, in a child
//    process) write transfers to L from here to the end.
// 3. Node 5 is cut off (every proxy resets its connections and refuses new
//    ones) and a follower Y of L is SIGKILLed: L keeps a quorum of three.
// 4. The clients write until L's log has grown by 100,000 entries since both
//    left.
// 5. Y is restarted from its files and the proxies are restored while the
//    clients keep writing; the catch-up ends when the applied index of each
//    follower reaches L's commit index (read just before).
//
// Asserted:
// - no election: every node's /status every 200 ms and every "role changed"
//   line any node logged show one term throughout, no candidate ever, and L
//   leading; the healthy nodes never even changed role (node 5 may pre-vote
//   while cut off: the others refuse, they hear from L);
// - L's event-loop delay p99 over the catch-up window < 50 ms: prom-client's
//   `nodejs_eventloop_lag_p99_seconds` from L's /metrics. prom-client resets
//   the histogram at every scrape, so the test scrapes L exactly at the start
//   and at the end of each window and reads the p99 of that window (the delay
//   is sampled with a 10 ms timer, counted in: an idle loop reads ~10 ms).
//   Sampling every second and taking the largest would not be a p99: at this
//   resolution a second holds ~100 samples, so its p99 is its worst one or two.
//
// The machine has 2 cores for 5 nodes, the clients, the proxies and whatever
// else runs: the followers (every thread of them, the SQLite writer included)
// run at nice 10 so that their own catch-up work (decoding and applying 100,000
// entries) does not take the leader's CPU — on a real cluster each has its own
// machine. CATCHUP_E2E_NICE=0 runs them at the leader's priority
// (CATCHUP_E2E_CLIENT_NICE sets the clients', 0 by default).
//
// Printed: the backlog (entries, and MiB against the cache), the catch-up duration and entries/s, L's loop delay
// (p50/p90/p99/max, CPU, log saves) in sync, while two lag and during the
// catch-up, the clients' writes/s and latency in each phase, role changes, and
// the slow turns (> 200 ms) the followers logged. About 40–50 s here: most of
// it writing 100,000 entries over HTTP. CATCHUP_E2E_ENTRIES and
// CATCHUP_E2E_CLIENTS set the backlog and the clients for a quick run;
// CATCHUP_E2E_CPU_PROF=DIR writes every node's CPU profile there.
import { encodeBankCommand } from "@raft/demo-bank-app";
import { afterAll, describe, expect, it, onTestFailed, vi } from "vitest";
import { CatchUpCluster, type NodeStatus } from "./support/catch-up-cluster.js";
import { ClusterWatch, gauge, type LoopWindow } from "./support/cluster-watch.js";
import { epochNow, WriteLoad } from "./support/write-load.js";

vi.setConfig({ testTimeout: 240_000 });

const backlog = Number(process.env.CATCHUP_E2E_ENTRIES ?? 100_000);
const clients = Number(process.env.CATCHUP_E2E_CLIENTS ?? 48);
const loopP99LimitMs = 50;
const isolated = 5;
/** Nice value of every node process but the leader's (CATCHUP_E2E_NICE=0: all equal). */
const followerNice = Number(process.env.CATCHUP_E2E_NICE ?? 10);
const clientNice = Number(process.env.CATCHUP_E2E_CLIENT_NICE ?? 0);
// Entries as the bank's own clients make them (a UUID-long request id, short account ids): ~100 bytes, so
// the 100,000-entry backlog (~10 MiB) fits in the leader's in-memory log cache (logCacheBytes, 16 MiB).
// CATCHUP_E2E_LARGE_ENTRIES=1: ~280-byte entries (48-character account ids, 120-character request ids), a
// ~27 MiB backlog whose older part the leader must read back from SQLite.
const largeEntries = process.env.CATCHUP_E2E_LARGE_ENTRIES === "1";
const accounts = Array.from({ length: 8 }, (_, i) => (largeEntries ? `acct-${i}-`.padEnd(48, "x") : `acct-${i}`));
const requestIdLength = largeEntries ? 120 : 36;
const entryBytes = encodeBankCommand({ type: "transfer", requestId: "x".repeat(requestIdLength), from: accounts[0] as string, to: accounts[1] as string, amount: 1 }).length;

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

describe("catch-up of two followers 100,000 entries behind, on five node processes", () => {
  const profileDir = process.env.CATCHUP_E2E_CPU_PROF;
  const cluster = new CatchUpCluster(isolated, { snapshotEntries: 10_000_000 }, profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]);
  afterAll(() => cluster.dispose());

  it("elects no one and keeps the leader's event loop responsive while both catch up from its log", async () => {
    onTestFailed(() => console.error(cluster.logTails()));
    const t0 = epochNow();
    await cluster.prepare();

    // 1. A leader among nodes 1–4, then node 5 (behind its proxies) follows it.
    for (const id of [1, 2, 3, 4]) cluster.start(id);
    let leader = 0;
    await cluster.waitFor(
      "a leader all of nodes 1–4 follow",
      async () => {
        const all = await Promise.all([1, 2, 3, 4].map((id) => cluster.status(id)));
        const l = all.find((s) => s?.role === "leader");
        if (l === undefined || !all.every((s) => s?.leaderId === l.id)) return false;
        leader = l.id;
        return true;
      },
      30_000,
    );
    for (const id of [1, 2, 3, 4]) if (id !== leader) await cluster.renice(id, followerNice);
    cluster.start(isolated);
    await cluster.renice(isolated, followerNice);
    await cluster.waitFor(`node ${isolated} to follow node ${leader}`, async () => (await cluster.status(isolated))?.leaderId === leader, 30_000);
    for (const id of accounts) {
      const res = await fetch(`${cluster.urlOf(leader)}/accounts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id, balance: 1_000_000_000, requestId: `open-${id}` }),
      });
      expect(res.status, `opening ${id}`).toBe(201);
    }
    const term = ((await cluster.status(leader)) as NodeStatus).term;
    const stopped = [1, 2, 3, 4].find((id) => id !== leader) as number;
    const healthy = cluster.ids.filter((id) => id !== isolated && id !== stopped);
    const since = Date.now();

    // 2. Writers and watchers run from here to the end; the leader's loop is measured per phase.
    const watch = new ClusterWatch(cluster, leader);
    watch.start();
    const load = new WriteLoad(cluster.urlOf(leader), clients, accounts, clientNice, requestIdLength);
    await load.start();
    const written = async () => (await load.stats()).writes;
    try {
      await cluster.waitFor("8,000 writes", async () => (await written()) >= 8_000, 60_000);
      await watch.mark();
      const syncStart = epochNow();
      const syncWrites = await written();
      await cluster.waitFor("5,000 more writes", async () => (await written()) >= syncWrites + 5_000, 60_000);
      const syncEnd = epochNow();
      const inSync = (await watch.mark()) as LoopWindow;

      // 3. Node 5 cut off, node `stopped` killed.
      cluster.cut();
      await cluster.kill(stopped);
      const leftAt = ((await cluster.status(leader)) as NodeStatus).log.lastIndex;
      const lagStart = epochNow();
      const lagWrites = await written();

      // 4. The backlog grows by `backlog` entries.
      await cluster.waitFor(
        `the leader's log to grow by ${fmt(backlog)} entries`,
        async () => {
          const election = watch.electionSeen(term);
          if (election !== undefined) throw new Error(`election while the followers were away: ${election}`);
          return ((await cluster.status(leader))?.commitIndex ?? 0) >= leftAt + backlog;
        },
        150_000,
        500,
      );
      const lagging = (await watch.mark()) as LoopWindow;
      const lagEnd = epochNow();
      const lagBuilt = (await written()) - lagWrites;
      const before = (await cluster.status(leader)) as NodeStatus;
      const isolatedBefore = (await cluster.status(isolated)) as NodeStatus;
      const behind = { [isolated]: before.commitIndex - isolatedBefore.log.lastIndex, [stopped]: before.commitIndex - leftAt };
      expect(behind[isolated]).toBeGreaterThanOrEqual(backlog);

      // 5. Both come back while the clients keep writing.
      await watch.mark();
      const catchUpStart = epochNow();
      const bytesBefore = cluster.proxiedBytes();
      cluster.start(stopped);
      cluster.restore();
      const reniced = cluster.renice(stopped, followerNice);
      const doneAt = new Map<number, { at: number; index: number }>();
      await cluster.waitFor(
        "both followers to catch up",
        async () => {
          const l = await cluster.status(leader);
          if (l === undefined) return false;
          for (const id of [isolated, stopped]) {
            if (doneAt.has(id)) continue;
            const s = await cluster.status(id);
            if (s !== undefined && s.appliedIndex >= l.commitIndex) doneAt.set(id, { at: epochNow(), index: s.appliedIndex });
          }
          return doneAt.size === 2;
        },
        90_000,
        50,
      );
      const catchUp = (await watch.mark()) as LoopWindow;
      const caughtUp = epochNow();
      await reniced;
      await watch.stop();

      // Figures.
      const seconds = (caughtUp - catchUpStart) / 1000;
      const entries = (doneAt.get(isolated)?.index ?? 0) - isolatedBefore.log.lastIndex + ((doneAt.get(stopped)?.index ?? 0) - leftAt);
      const loop = (w: LoopWindow) =>
        `p99 ${fmt(w.p99Ms, 1)} ms (p50 ${fmt(w.p50Ms, 1)}, p90 ${fmt(w.p90Ms, 1)}, max ${fmt(w.maxMs, 1)}; CPU ${fmt(w.cpu, 2)} s/s, log saves ${fmt(w.savesPerSecond)}/s of ${fmt(w.saveMeanMs, 1)} ms, load average ${fmt(w.load, 1)})`;
      const writes = async (from: number, to: number) => {
        const w = await load.latency(from, to);
        return `${fmt(w.count / ((to - from) / 1000))}/s, p50 ${fmt(w.p50, 1)} / p99 ${fmt(w.p99, 1)} ms`;
      };
      const clientWrites = `in sync ${await writes(syncStart, syncEnd)}; lagging ${await writes(lagStart, lagEnd)}; catch-up ${await writes(catchUpStart, caughtUp)}`;
      const totals = await load.stop();
      const leaderWarnings = cluster.linesOf(leader, (l) => l.includes('"level":40') || l.includes('"level":50'));
      const slowTurns = (id: number) => cluster.linesOf(id, (l) => l.includes("raft loop turn was slow")).map((l) => `${/"ms":(\d+)/.exec(l)?.[1]} ms`);
      console.log(
        [
          `catch-up e2e: 5 nodes, gRPC, SQLite (synchronous=FULL), ${clients} closed-loop HTTP clients, followers at nice ${followerNice}, clients at ${clientNice}; leader node ${leader}, term ${term}`,
          `  backlog: node ${isolated} (cut off) ${fmt(behind[isolated] as number)} entries behind, node ${stopped} (SIGKILLed) ${fmt(behind[stopped] as number)}; entries of ${entryBytes} B (${fmt(((behind[isolated] as number) * entryBytes) / 2 ** 20, 1)} MiB; the leader caches 16 MiB); built in ${fmt((lagEnd - lagStart) / 1000, 1)} s (${fmt(lagBuilt / ((lagEnd - lagStart) / 1000))} writes/s)`,
          ...[isolated, stopped].map((id) => `  node ${id} caught up in ${fmt(((doneAt.get(id)?.at ?? 0) - catchUpStart) / 1000, 2)} s (applied ${fmt(doneAt.get(id)?.index ?? 0)})`),
          `  catch-up: ${fmt(seconds, 2)} s for both, ${fmt(entries)} entries applied by the two followers: ${fmt(entries / seconds)} entries/s; ${fmt((cluster.proxiedBytes() - bytesBefore) / 2 ** 20, 1)} MiB through node ${isolated}'s proxies`,
          `  leader event-loop delay, all in sync (${fmt(inSync.seconds, 1)} s): ${loop(inSync)}`,
          `  leader event-loop delay, two lagging (${fmt(lagging.seconds, 1)} s): ${loop(lagging)}`,
          `  leader event-loop delay, catch-up (${fmt(catchUp.seconds, 1)} s): ${loop(catchUp)}`,
          `  client writes: ${clientWrites}; errors ${totals.errors} ${JSON.stringify(totals.errorKinds)}`,
          `  elections: ${watch.electionSeen(term) ?? "none"} (${watch.polls} status polls of every node); role changes logged: ${JSON.stringify(cluster.roleChanges(since).map((c) => `${c.node}:${c.role}@${c.term}`))}`,
          `  warnings the leader logged: ${leaderWarnings.length}${leaderWarnings
            .slice(0, 5)
            .map((l) => `\n    ${l}`)
            .join("")}`,
          `  slow loop turns (> 200 ms) logged by the followers: ${[isolated, stopped].map((id) => `node ${id}: ${slowTurns(id).join(", ") || "none"}`).join("; ")}`,
          `  test ${fmt((epochNow() - t0) / 1000, 1)} s`,
        ].join("\n"),
      );

      // No election: one term everywhere, never a candidate, the same leader throughout.
      expect(watch.electionSeen(term)).toBeUndefined();
      const changes = cluster.roleChanges(since);
      expect(changes.filter((c) => c.role === "candidate" || c.term !== term)).toEqual([]);
      expect(changes.filter((c) => healthy.includes(c.node))).toEqual([]);
      for (const id of healthy) expect([...(watch.leaders.get(id) ?? [])], `leaders seen by node ${id}`).toEqual([leader]);
      // The log, not a snapshot, brought them back.
      for (const id of cluster.ids) {
        const metrics = (await cluster.metrics(id)) as string;
        expect(gauge(metrics, "raft_snapshots_installed_total"), `snapshots installed on node ${id}`).toBe(0);
        expect(gauge(metrics, "raft_snapshots_taken_total"), `snapshots taken on node ${id}`).toBe(0);
      }
      // The leader's loop stayed responsive over the catch-up.
      expect(catchUp.p99Ms).toBeLessThan(loopP99LimitMs);
    } finally {
      await load.kill();
      await watch.stop();
      if (profileDir !== undefined) for (const id of cluster.ids) await cluster.terminate(id);
    }
  });
});
