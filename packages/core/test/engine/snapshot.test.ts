import { describe, expect, it } from "vitest";
import type { Message } from "../../src/engine/index.js";
import { EngineCluster, fakeSnapshot } from "../support/engine-cluster.js";
import { NodeId, Term } from "../../src/engine/index.js";

// §7 of the paper, engine side: what a follower does with InstallSnapshot, and how the leader tracks it.

const plain = { preVote: false, checkQuorum: false, keepTrailing: 0 };

function offer(to: number, index: number, term: number, from = 1, leaderTerm = 1): Message {
  return { type: "InstallSnapshot", from: NodeId.of(from), to: NodeId.of(to), term: Term.of(leaderTerm), snapshot: fakeSnapshot(index, term, [1, 2, 3]), source: { kind: "peer" } };
}

function respondedWith(c: EngineCluster, from: number): Message[] {
  return c.mailbox.filter((m) => m.from === from);
}

describe("§7 InstallSnapshot on a follower", () => {
  it("ignores a snapshot not newer than its commit index and tells the leader its commit", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    for (let i = 0; i < 2; i++) c.engine(1).propose(new Uint8Array([i]));
    c.stabilize();
    c.tick(1);
    c.stabilize();
    c.engine(2).step(offer(2, 2, 1));
    c.processReady(2);
    expect(c.installs.has(2)).toBe(false);
    expect(respondedWith(c, 2)).toEqual([{ type: "InstallSnapshotResp", from: 2, to: 1, term: 1, index: 3, reject: false }]);
  });

  it("asks the driver to install a newer snapshot, once, and withholds applies meanwhile", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    c.engine(2).step(offer(2, 10, 1));
    c.engine(2).step(offer(2, 10, 1)); // a duplicate offer changes nothing
    const lines = c.processReady(2);
    expect(lines).toContain("  install snapshot 10@1 from 1");
    expect(c.engine(2).status().installing).toBe(fakeSnapshot(10, 1, [1, 2, 3]).id);
    c.engine(2).step(offer(2, 10, 1));
    expect(c.engine(2).hasReady()).toBe(false);
  });

  it("a newer snapshot supersedes the one being installed; an older one does not", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    c.engine(2).step(offer(2, 10, 1));
    c.processReady(2);
    c.engine(2).step(offer(2, 20, 1));
    expect(c.processReady(2)).toContain("  install snapshot 20@1 from 1");
    c.engine(2).step(offer(2, 15, 1));
    expect(c.processReady(2)).not.toContain("  install snapshot 15@1 from 1");
    expect(c.engine(2).status().installing).toBe(fakeSnapshot(20, 1, [1, 2, 3]).id);
  });

  it("after the install the log restarts after the snapshot and the leader hears the index", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    c.engine(2).step(offer(2, 10, 1));
    c.processReady(2);
    c.finishInstall(2);
    const lines = c.processReady(2);
    expect(lines).toEqual(["ready 2:", "  reset log after 10@1", "  hard term=1 vote=1 commit=10", "  after write: send 2→1 InstallSnapshotResp term=1 index=10"]);
    expect(c.engine(2).status()).toMatchObject({ commit: 10, applied: 10, firstIndex: 11, lastIndex: 10, installing: undefined });
  });

  it("keeps a matching log suffix when the snapshot's entry is already in the log", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    c.partition([[1, 2], [3]]);
    for (let i = 0; i < 3; i++) c.engine(1).propose(new Uint8Array([i]));
    c.stabilize(); // node 2 holds 1..4 and has applied them
    c.engine(2).step(offer(2, 3, 1)); // older than commit: ignored
    expect(c.processReady(2)).not.toContain("  install snapshot 3@1 from 1");
    const s = c.engine(2).status();
    expect([s.firstIndex, s.lastIndex]).toEqual([1, 4]);
  });

  it("a failed install is reported; the leader offers the snapshot again later", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    c.partition([[1, 2], [3]]);
    for (let i = 0; i < 3; i++) c.engine(1).propose(new Uint8Array([i]));
    c.stabilize();
    c.snapshot(1);
    c.processReady(1); // compacts the leader's log
    c.heal();
    c.tick(1);
    c.stabilize();
    expect(c.installs.has(3)).toBe(true);
    expect(c.engine(1).status().progress?.get(NodeId.of(3))?.state).toBe("snapshot");
    c.finishInstall(3, false);
    c.stabilize();
    expect(c.engine(1).status().progress?.get(NodeId.of(3))?.state).toBe("probe");
    c.tick(1);
    c.stabilize();
    expect(c.installs.has(3)).toBe(true); // offered again on the next heartbeat
    c.finishInstall(3);
    c.stabilize();
    c.tick(1);
    c.stabilize();
    const p = c.engine(1).status().progress?.get(NodeId.of(3));
    expect(p?.state).toBe("replicate");
    expect(p?.match).toBe(c.engine(1).status().lastIndex);
  });

  it("re-offers a snapshot whose answer was lost, after snapshotRetryTicks", () => {
    const c = new EngineCluster([1, 2, 3], { ...plain, snapshotRetryTicks: 5 });
    c.elect(1);
    c.partition([[1, 2], [3]]);
    c.engine(1).propose(new Uint8Array([1]));
    c.stabilize();
    c.snapshot(1);
    c.processReady(1);
    c.heal();
    c.tick(1);
    c.stabilize();
    c.installs.delete(3); // the driver lost it (a crash), so no answer will come
    const offers = () => c.mailbox.filter((m) => m.type === "InstallSnapshot").length;
    let seen = 0;
    for (let t = 0; t < 6; t++) {
      c.tick(1);
      for (const id of c.ids) c.processReady(id);
      seen += offers();
      c.deliver();
      for (const id of c.ids) c.processReady(id);
      seen += offers();
      c.deliver();
    }
    expect(seen).toBeGreaterThanOrEqual(1);
  });
});
