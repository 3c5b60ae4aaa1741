import { afterEach, describe, expect, it } from "vitest";
import type { Index, NodeId } from "../../src/engine/index.js";
import { TestCluster, type SimStateMachine } from "../../src/testing/index.js";
import type { RaftNode, RaftNodeConfig } from "../../src/runtime/index.js";
import { bytes } from "../support/bytes.js";

// The snapshot lifecycle end to end, on real RaftNodes over a simulated
// clock and network with in-memory snapshot stores.

let cluster: TestCluster<Index, SimStateMachine>;
afterEach(async () => {
  await cluster?.stopAll();
});

async function writeMany(c: TestCluster<Index, SimStateMachine>, leader: RaftNode<Index>, n: number, prefix = "v"): Promise<void> {
  const all = [];
  for (let i = 0; i < n; i++) all.push(leader.propose(bytes(`${prefix}${i}-${"x".repeat(40)}`)));
  await c.settle(Promise.all(all));
}

function follower(c: TestCluster<Index, SimStateMachine>, leader: RaftNode<Index>): NodeId {
  return c.voters.find((id) => id !== leader.id) as NodeId;
}

function expectEqualMachines(c: TestCluster<Index, SimStateMachine>): void {
  const values = c.voters.map((id) => c.machines.get(id)?.values.join(","));
  expect(new Set(values).size).toBe(1);
}

/**
 * A 3-node cluster whose leader took a snapshot (and compacted everything)
 * while one follower was down: that follower will need the snapshot.
 */
async function leaderSnapshotWhileFollowerDown(config: Partial<RaftNodeConfig>, writes: number) {
  cluster = TestCluster.of([1, 2, 3], { node: { snapshotEntries: 0, keepTrailing: 0, snapshotInlineBytes: 0, ...config } });
  await cluster.startAll();
  const leader = await cluster.waitForLeader();
  const lagging = follower(cluster, leader);
  await cluster.crash(lagging);
  await writeMany(cluster, leader, writes);
  const meta = await cluster.settle(leader.takeSnapshot());
  return { leader, lagging, meta };
}

describe("snapshots", () => {
  it("1. a follower snapshots in a quiet cluster, compacts its log, becomes leader, and new commands commit", async () => {
    cluster = TestCluster.of([1, 2, 3], { node: { snapshotEntries: 0, keepTrailing: 0 } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await writeMany(cluster, leader, 20);
    await cluster.run(100);
    const f = cluster.node(follower(cluster, leader));
    const meta = await cluster.settle(f.takeSnapshot());
    await cluster.run(50);
    expect(meta.index).toBe(f.status().applied);
    expect(f.status().firstIndex).toBe(meta.index + 1); // nothing left but the snapshot
    expect(f.logEntries(f.status().firstIndex, f.status().lastIndex + 1)).toEqual([]);
    leader.transferLeadership(f.id);
    await cluster.until(() => f.status().role === "leader");
    await writeMany(cluster, f, 5, "after");
    await cluster.run(100);
    expect(cluster.machines.get(f.id)?.values.length).toBe(25);
    expectEqualMachines(cluster);
  });

  it("2. the leader snapshots and compacts; a restarted follower installs the snapshot, then catches up by log", async () => {
    const { leader, lagging, meta } = await leaderSnapshotWhileFollowerDown({}, 30);
    expect(leader.status().firstIndex).toBe(meta.index + 1);
    await writeMany(cluster, leader, 10, "tail");
    const back = await cluster.start(lagging);
    await cluster.until(() => cluster.machines.get(lagging)?.values.length === 40);
    const s = back.status();
    expect(s.snapshots.installed).toBe(1);
    expect(s.snapshot?.id).toBe(meta.id);
    expect(s.applied).toBeGreaterThan(meta.index); // the tail came by log
    expect(cluster.machines.get(lagging)?.restoredValues).toBe(30);
    await cluster.run(100);
    expectEqualMachines(cluster);
  });

  it("3. a transfer cut at about half resumes from the follower's offset: at most one chunk is sent twice", async () => {
    const chunk = 512;
    const { leader, lagging, meta } = await leaderSnapshotWhileFollowerDown({ snapshotChunkBytes: chunk }, 400);
    expect(meta.size).toBeGreaterThan(20 * chunk);
    cluster.network.faults = { drop: 0, duplicate: 0, delay: [1, 1] };
    await cluster.start(lagging);
    await cluster.until(() => leader.status().snapshots.bytesSent >= meta.size / 2);
    cluster.network.cut(leader.id, lagging);
    cluster.network.cut(lagging, leader.id);
    await cluster.run(300);
    cluster.network.heal();
    await cluster.until(() => cluster.node(lagging).status().snapshots.installed === 1, 20_000);
    const sent = leader.status().snapshots.bytesSent;
    expect(sent).toBeGreaterThanOrEqual(meta.size);
    expect(sent).toBeLessThanOrEqual(meta.size + chunk);
    expect(cluster.node(lagging).status().snapshots.resumes).toBeGreaterThanOrEqual(1);
    await cluster.run(100);
    expectEqualMachines(cluster);
  });

  it("status() shows a transfer in flight on both sides, and a transfer event reports it once done", async () => {
    const chunk = 256;
    const { leader, lagging, meta } = await leaderSnapshotWhileFollowerDown({ snapshotChunkBytes: chunk, snapshotMaxBytesPerSecond: 4_000 }, 300);
    const finished: { direction: string; peer: NodeId; bytesTotal: number; ok: boolean }[] = [];
    leader.on("transfer", (t) => finished.push(t));
    const back = await cluster.start(lagging);
    back.on("transfer", (t) => finished.push(t));
    await cluster.until(() => leader.status().snapshots.bytesSent >= meta.size / 2, 60_000);
    const [sending] = leader.status().transfers;
    const [receiving] = back.status().transfers;
    expect(sending).toMatchObject({ peer: lagging, direction: "send", id: meta.id, bytesTotal: meta.size });
    expect(receiving).toMatchObject({ peer: leader.id, direction: "receive", id: meta.id, bytesTotal: meta.size });
    expect(sending?.bytesDone).toBeGreaterThanOrEqual(meta.size / 2);
    expect(sending?.bytesDone).toBeLessThan(meta.size);
    await cluster.until(() => back.status().snapshots.installed === 1, 60_000);
    expect(leader.status().transfers).toEqual([]);
    expect(back.status().transfers).toEqual([]);
    expect(finished.map((t) => [t.direction, t.peer, t.bytesTotal, t.ok])).toEqual(
      expect.arrayContaining([
        ["send", lagging, meta.size, true],
        ["receive", leader.id, meta.size, true],
      ]),
    );
  });

  it("a follower restarted mid-transfer resumes from its durable offset", async () => {
    const chunk = 256;
    const { leader, lagging, meta } = await leaderSnapshotWhileFollowerDown({ snapshotChunkBytes: chunk, snapshotMaxBytesPerSecond: 4_000 }, 300);
    await cluster.start(lagging);
    await cluster.until(() => leader.status().snapshots.bytesSent >= meta.size * 0.6, 60_000);
    await cluster.crash(lagging); // keeps only what was flushed (at least once a second)
    const before = leader.status().snapshots.bytesSent;
    const back = await cluster.start(lagging);
    await cluster.until(() => back.status().snapshots.installed === 1, 60_000);
    expect(back.status().snapshots.resumes).toBeGreaterThanOrEqual(1);
    expect(leader.status().snapshots.bytesSent - before).toBeLessThan(meta.size * 0.6); // not from the start
    await cluster.run(100);
    expectEqualMachines(cluster);
  });

  it("a new leader holding the same snapshot continues the transfer where the old one stopped", async () => {
    const chunk = 256;
    cluster = TestCluster.of([1, 2, 3], { node: { snapshotEntries: 0, keepTrailing: 0, snapshotInlineBytes: 0, snapshotChunkBytes: chunk } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const [other, lagging] = cluster.voters.filter((id) => id !== leader.id) as [NodeId, NodeId];
    await cluster.crash(lagging);
    await writeMany(cluster, leader, 300);
    await cluster.run(100);
    const a = await cluster.settle(leader.takeSnapshot());
    const b = await cluster.settle(cluster.node(other).takeSnapshot());
    expect(b.id).toBe(a.id); // same state, same id: either node can serve it
    cluster.network.faults = { drop: 0, duplicate: 0, delay: [1, 1] };
    await cluster.start(lagging);
    await cluster.until(() => leader.status().snapshots.bytesSent >= a.size / 2);
    cluster.network.cut(leader.id, lagging);
    cluster.network.cut(lagging, leader.id);
    leader.transferLeadership(other);
    await cluster.until(() => cluster.node(other).status().role === "leader");
    await cluster.until(() => cluster.node(lagging).status().snapshots.installed === 1, 30_000);
    const fromNew = cluster.node(other).status().snapshots.bytesSent;
    expect(fromNew).toBeGreaterThan(0);
    expect(fromNew).toBeLessThanOrEqual(a.size / 2 + 2 * chunk);
    cluster.network.heal();
    await cluster.run(100);
    expectEqualMachines(cluster);
  });

  it("4a. a corrupted chunk is caught by the checksum; the snapshot is fetched again", async () => {
    const { lagging } = await leaderSnapshotWhileFollowerDown({ snapshotChunkBytes: 256 }, 50);
    cluster.network.streamFaults = { breakChance: 0, corruptChance: 1 };
    await cluster.start(lagging);
    await cluster.until(() => cluster.network.stats.chunksCorrupted >= 1);
    cluster.network.streamFaults = { breakChance: 0, corruptChance: 0 };
    await cluster.until(() => cluster.node(lagging).status().snapshots.installed === 1, 20_000);
    expect(cluster.node(lagging).status().snapshots.checksumFailures).toBe(1);
    await cluster.run(100);
    expectEqualMachines(cluster);
  });

  /** A follower snapshots after 20 writes, crashes, and the snapshot's first file rots on its disk. */
  async function followerSnapshotRotsWhileDown(keepTrailing: number): Promise<NodeId> {
    cluster = TestCluster.of([1, 2, 3], { node: { snapshotEntries: 0, keepTrailing } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await writeMany(cluster, leader, 20);
    await cluster.run(50);
    const id = follower(cluster, leader);
    const meta = await cluster.settle(cluster.node(id).takeSnapshot());
    await cluster.run(50);
    await cluster.crash(id);
    cluster.snapshotStores.get(id)?.corrupt(meta.id, meta.files[0]?.name as string);
    return id;
  }

  it("4b. a corrupted stored snapshot is never restored: restart falls back to replaying the log", async () => {
    const id = await followerSnapshotRotsWhileDown(10_000);
    await cluster.start(id);
    await cluster.run(100);
    expect(cluster.machines.get(id)?.restoredValues).toBe(0); // not restored
    expect(cluster.machines.get(id)?.values.length).toBe(20); // replayed from the log instead
  });

  it("4c. with the log compacted past it, a corrupted snapshot stops the node from starting, naming the problem", async () => {
    const id = await followerSnapshotRotsWhileDown(0);
    await expect(cluster.start(id)).rejects.toMatchObject({ code: "Corrupt" });
    expect(cluster.machines.get(id)?.restoredValues).toBe(0);
  });

  it("restarts from the latest snapshot and replays the log after it", async () => {
    cluster = TestCluster.of([1, 2, 3], { node: { snapshotEntries: 0, keepTrailing: 0 } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const id = follower(cluster, leader);
    await writeMany(cluster, leader, 10);
    await cluster.run(50);
    await cluster.settle(cluster.node(id).takeSnapshot());
    await writeMany(cluster, leader, 5, "later");
    await cluster.run(50);
    await cluster.crash(id);
    await cluster.start(id);
    await cluster.until(() => cluster.machines.get(id)?.values.length === 15);
    expect(cluster.machines.get(id)?.restoredValues).toBe(10);
    expectEqualMachines(cluster);
  });

  it("small snapshots travel inside InstallSnapshot: no stream is opened", async () => {
    const { leader, lagging } = await leaderSnapshotWhileFollowerDown({ snapshotInlineBytes: 1 << 20 }, 10);
    await cluster.start(lagging);
    await cluster.until(() => cluster.node(lagging).status().snapshots.installed === 1);
    expect(cluster.network.stats.snapshotBytes).toBe(0);
    expect(leader.status().snapshots.bytesSent).toBe(0);
  });

  it("keeps answering heartbeats during a long, throttled transfer: no election churn", async () => {
    const { leader, lagging, meta } = await leaderSnapshotWhileFollowerDown({ snapshotChunkBytes: 256, snapshotMaxBytesPerSecond: 4_000 }, 400);
    const term = leader.status().term;
    const roles: string[] = [];
    const back = await cluster.start(lagging);
    back.on("role", (e) => roles.push(e.role));
    const started = cluster.clock.now();
    await cluster.until(() => back.status().snapshots.installed === 1, 60_000);
    const took = cluster.clock.now() - started;
    expect(took).toBeGreaterThan(((meta.size - 4_000) / 4_000) * 1000 * 0.9); // the throttle held it back (after a one-second burst)
    expect(took).toBeGreaterThan(10 * 10 * 2); // longer than two election timeouts
    expect(leader.status()).toMatchObject({ role: "leader", term });
    expect(roles.filter((r) => r !== "follower")).toEqual([]);
  });

  it("takeSnapshot({ transferLeadershipFirst }) hands leadership to an up-to-date follower first", async () => {
    cluster = TestCluster.of([1, 2, 3], { node: { snapshotEntries: 0 } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await writeMany(cluster, leader, 5);
    await cluster.run(50);
    const meta = await cluster.settle(leader.takeSnapshot({ transferLeadershipFirst: true }));
    expect(leader.status().role).toBe("follower");
    expect(meta.index).toBeGreaterThanOrEqual(6);
    expect(cluster.leader()?.id).not.toBe(leader.id);
  });

  it("takes snapshots automatically every N applied entries and prunes old ones", async () => {
    cluster = TestCluster.of([1, 2, 3], { node: { snapshotEntries: 10, keepTrailing: 2, keepSnapshots: 2 } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    for (let round = 0; round < 5; round++) {
      await writeMany(cluster, leader, 10, `r${round}-`);
      await cluster.run(50);
    }
    const s = leader.status();
    expect(s.snapshots.taken).toBeGreaterThanOrEqual(4);
    expect(s.firstIndex).toBe((s.snapshot?.index ?? 0) - 2 + 1);
    const stored = await cluster.snapshotStores.get(leader.id)?.list();
    expect(stored?.length).toBe(2);
  });
});
