import { afterEach, describe, expect, it } from "vitest";
import { isRaftError, NodeId, type Index } from "../../src/engine/index.js";
import { TestCluster, type SimStateMachine } from "../../src/testing/index.js";
import type { RaftNode } from "../../src/runtime/index.js";
import { bytes } from "../support/bytes.js";

// Membership change on real RaftNodes: learners, joint consensus, joining through a snapshot, removal.

let cluster: TestCluster<Index, SimStateMachine>;
afterEach(async () => {
  await cluster?.stopAll();
});

async function write(c: TestCluster<Index, SimStateMachine>, leader: RaftNode<Index>, n: number, prefix: string): Promise<void> {
  await c.settle(Promise.all(Array.from({ length: n }, (_, i) => leader.propose(bytes(`${prefix}${i}`)))));
}

/** Runs a membership call on the current leader, retrying while a leader change or a previous change is settling. */
async function onLeader<T>(c: TestCluster<Index, SimStateMachine>, call: (leader: RaftNode<Index>) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const leader = await c.waitForLeader();
    try {
      return await c.settle(call(leader));
    } catch (e) {
      if (attempt > 50 || !isRaftError(e) || !["ConfigChangeInProgress", "NotLeader", "ProposalDropped", "Stopped"].includes(e.code)) throw e;
      await c.run(20);
    }
  }
}

function values(c: TestCluster<Index, SimStateMachine>, id: NodeId): string[] {
  return c.machines.get(id)?.values ?? [];
}

describe("membership", () => {
  it("1. a new node joins a compacted cluster as a learner, gets the snapshot then the log, and only then becomes a voter", async () => {
    cluster = TestCluster.of([1, 2, 3], { node: { snapshotEntries: 0, keepTrailing: 0, snapshotInlineBytes: 0, promoteMaxLag: 5 } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await write(cluster, leader, 40, "a");
    await cluster.settle(leader.takeSnapshot());
    await write(cluster, leader, 5, "b");
    const joiner = await cluster.startJoiner(4);
    const asLearner = await cluster.settle(leader.addLearner(4));
    expect(asLearner.learners).toEqual([4]);
    await cluster.until(() => values(cluster, NodeId.of(4)).length === 45 && leader.status().progress?.get(NodeId.of(4))?.match === leader.status().lastIndex);
    expect(joiner.status().snapshots.installed).toBe(1);
    expect(joiner.status().membership.learners).toEqual([4]);
    const final = await cluster.settle(leader.promote(4));
    expect(final).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    await write(cluster, leader, 3, "c");
    await cluster.run(100);
    for (const id of [1, 2, 3, 4]) expect(values(cluster, NodeId.of(id))).toEqual(values(cluster, leader.id));
    expect(joiner.status().membership.voters).toContain(4);
  });

  it("refuses to promote a learner that lags, with NotCaughtUp", async () => {
    cluster = TestCluster.of([1, 2, 3], { node: { promoteMaxLag: 5 } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await cluster.settle(leader.addLearner(4)); // node 4 is not even running
    await write(cluster, leader, 10, "x");
    await expect(leader.promote(4)).rejects.toMatchObject({ code: "NotCaughtUp" });
  });

  it("2. all three members are replaced one by one while proposals continue; none is lost", async () => {
    cluster = TestCluster.of([1, 2, 3], { node: { snapshotEntries: 30, keepTrailing: 5 } });
    await cluster.startAll();
    await cluster.waitForLeader();
    const acked: string[] = [];
    const failed: string[] = [];
    let stop = false;
    let n = 0;
    const writer = (async () => {
      while (!stop) {
        const value = `w${n++}`;
        const current = cluster.leader();
        if (current === undefined) {
          await cluster.run(10);
          continue;
        }
        await cluster.settle(current.propose(bytes(value))).then(
          () => acked.push(value),
          (e: unknown) => {
            if (!isRaftError(e)) throw e;
            failed.push(value);
          },
        );
      }
    })();
    for (const [newcomer, old] of [
      [4, 1],
      [5, 2],
      [6, 3],
    ] as const) {
      await cluster.startJoiner(newcomer);
      await onLeader(cluster, (l) => l.addLearner(newcomer));
      await cluster.until(() => {
        const l = cluster.leader();
        return l !== undefined && (l.status().progress?.get(NodeId.of(newcomer))?.match ?? 0) >= l.status().lastIndex - 3;
      });
      await onLeader(cluster, (l) => l.promote(newcomer));
      await onLeader(cluster, (l) => l.removeMember(old));
      await cluster.run(100);
      await cluster.crash(old);
    }
    stop = true;
    await writer;
    const leader = await cluster.waitForLeader();
    await write(cluster, leader, 1, "final");
    await cluster.run(200);
    expect(leader.status().membership).toEqual({ voters: [4, 5, 6], learners: [] });
    const finalValues = values(cluster, leader.id);
    for (const v of acked) expect(finalValues).toContain(v);
    for (const id of [4, 5, 6]) expect(values(cluster, NodeId.of(id))).toEqual(finalValues);
    expect(acked.length).toBeGreaterThan(20);
  });

  it("3. the leader removes itself; the rest elect a leader and proposals continue", async () => {
    cluster = TestCluster.of([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await write(cluster, leader, 5, "before");
    const m = await cluster.settle(leader.removeMember(leader.id));
    expect(m.voters).not.toContain(leader.id);
    await cluster.until(() => cluster.leader() !== undefined && cluster.leader()?.id !== leader.id);
    expect(leader.status().role).toBe("follower");
    const next = cluster.leader() as RaftNode<Index>;
    await write(cluster, next, 5, "after");
    expect(values(cluster, next.id).filter((v) => v.startsWith("after")).length).toBe(5);
    await cluster.run(500);
    expect(leader.status().role).toBe("follower"); // never campaigns again
  });

  it("keeps its membership across a restart (config entries in the log, or the snapshot's manifest)", async () => {
    cluster = TestCluster.of([1, 2, 3], { node: { snapshotEntries: 0, keepTrailing: 0 } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await cluster.startJoiner(4);
    await cluster.settle(leader.addLearner(4));
    await write(cluster, leader, 3, "x");
    const follower = cluster.voters.find((id) => id !== leader.id) as NodeId;
    await cluster.crash(follower);
    const again = await cluster.start(follower);
    await cluster.until(() => again.status().membership.learners.includes(NodeId.of(4))); // replayed from the log
    await cluster.settle(again.takeSnapshot());
    await cluster.crash(follower);
    const third = await cluster.start(follower);
    expect(third.status().membership).toEqual({ voters: [1, 2, 3], learners: [4] }); // from the snapshot, before any replay
  });

  it("4. a learner never campaigns, and the leader reports it apart from the voters", async () => {
    cluster = TestCluster.of([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const learner = await cluster.startJoiner(4);
    await cluster.settle(leader.addLearner(4));
    cluster.network.isolate(leader.id, [1, 2, 3, 4]);
    await cluster.run(1000);
    expect(learner.status().role).toBe("follower");
    expect(learner.status().term).toBeLessThanOrEqual(leader.status().term + 5);
    expect(cluster.leader()?.id).not.toBe(4);
  });

  it("5. leadership transfer to a lagging follower lets it catch up first; proposals meanwhile fail cleanly or commit", async () => {
    cluster = TestCluster.of([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const target = cluster.voters.find((id) => id !== leader.id) as NodeId;
    cluster.network.cut(leader.id, target);
    await write(cluster, leader, 20, "lag");
    cluster.network.heal();
    leader.transferLeadership(target);
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        cluster.settle(leader.propose(bytes(`during${i}`))).then(
          () => "committed",
          (e: unknown) => (isRaftError(e) ? e.code : "other"),
        ),
      ),
    );
    await cluster.until(() => cluster.node(target).status().role === "leader");
    for (const o of outcomes) expect(["committed", "ProposalDropped", "NotLeader"]).toContain(o);
    await cluster.run(200);
    const applied = values(cluster, target);
    for (let i = 0; i < 20; i++) expect(applied).toContain(`lag${i}`);
    outcomes.forEach((o, i) => {
      if (o === "committed") expect(applied).toContain(`during${i}`);
      else expect(applied).not.toContain(`during${i}`);
    });
  });
});
