import { describe, expect, it } from "vitest";
import { decodeMembership, Index, NodeId, type MembershipChange } from "../../src/engine/index.js";
import { EngineCluster } from "../support/engine-cluster.js";

// §4 of the Raft thesis (§6 of the paper): membership change by joint consensus, with learners.

const plain = { preVote: false, checkQuorum: false };

function change(c: EngineCluster, leader: number, ch: MembershipChange): void {
  c.engine(leader).proposeMembership(ch);
  c.stabilize();
  c.tick(leader); // the heartbeat carries the commit of the last entry to everyone
  c.stabilize();
}

describe("§6 membership change", () => {
  it("a learner receives the log but never votes, never campaigns and counts in no quorum", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    c.join(4);
    change(c, 1, { type: "addLearner", node: NodeId.of(4) });
    expect(c.engine(4).status().membership).toEqual({ voters: [1, 2, 3], learners: [4] });
    c.engine(1).propose(new TextEncoder().encode("x"));
    c.stabilize();
    expect(c.appliedData(4)).toEqual(["x"]);
    c.tick(4, 100);
    expect(c.engine(4).status().role).toBe("follower");
    // Leader plus learner are not a quorum of {1,2,3}.
    c.partition([
      [1, 4],
      [2, 3],
    ]);
    const before = c.engine(1).status().commit;
    c.engine(1).propose(new TextEncoder().encode("y"));
    c.stabilize();
    expect(c.engine(1).status().commit).toBe(before);
    expect(c.engine(1).status().progress?.get(NodeId.of(4))?.match).toBe(c.engine(1).status().lastIndex);
  });

  it("promoting a learner goes through a joint configuration that is left automatically", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    c.join(4);
    change(c, 1, { type: "addLearner", node: NodeId.of(4) });
    c.engine(1).proposeMembership({ type: "promote", node: NodeId.of(4) });
    c.stabilize();
    c.tick(1);
    c.stabilize();
    const s = c.engine(1).status();
    const configs = c
      .engine(1)
      .entries(Index.of(1), Index.of(s.lastIndex + 1))
      .filter((e) => e.kind === "config")
      .map((e) => decodeMembership(e.data));
    expect(configs).toEqual([
      { voters: [1, 2, 3], learners: [4] },
      { voters: [1, 2, 3, 4], outgoing: [1, 2, 3], learners: [] },
      { voters: [1, 2, 3, 4], learners: [] },
    ]);
    for (const id of [1, 2, 3, 4]) expect(c.engine(id).status().membership).toEqual({ voters: [1, 2, 3, 4], learners: [] });
  });

  it("a joint configuration needs a majority of both the old and the new voters", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    change(c, 1, { type: "remove", node: NodeId.of(3) }); // {1,2,3} → joint → {1,2}
    expect(c.engine(1).status().membership).toEqual({ voters: [1, 2], learners: [] });
    // In {1,2}, node 2 alone blocks every commit.
    c.partition([[1, 3], [2]]);
    const before = c.engine(1).status().commit;
    c.engine(1).propose(new TextEncoder().encode("z"));
    c.stabilize();
    expect(c.engine(1).status().commit).toBe(before);
  });

  it("refuses a second change while one is in flight, with a typed error", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    c.engine(1).proposeMembership({ type: "addLearner", node: NodeId.of(4) });
    expect(() => c.engine(1).proposeMembership({ type: "addLearner", node: NodeId.of(5) })).toThrowError(expect.objectContaining({ code: "ConfigChangeInProgress" }));
    expect(() => c.engine(2).proposeMembership({ type: "addLearner", node: NodeId.of(5) })).toThrowError(expect.objectContaining({ code: "NotLeader" }));
  });

  it("refuses changes that make no sense", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    expect(() => c.engine(1).proposeMembership({ type: "promote", node: NodeId.of(9) })).toThrowError(expect.objectContaining({ code: "InvalidConfig" }));
    expect(() => c.engine(1).proposeMembership({ type: "addLearner", node: NodeId.of(2) })).toThrowError(expect.objectContaining({ code: "InvalidConfig" }));
    expect(() => c.engine(1).proposeMembership({ type: "remove", node: NodeId.of(9) })).toThrowError(expect.objectContaining({ code: "InvalidConfig" }));
  });

  it("a leader that removes itself commits the change, steps down, and the rest elect a leader", () => {
    const c = new EngineCluster([1, 2, 3], plain);
    c.elect(1);
    c.engine(1).proposeMembership({ type: "remove", node: NodeId.of(1) });
    for (let i = 0; i < 10; i++) {
      c.stabilize();
      c.tick(1);
    }
    c.stabilize();
    expect(c.engine(1).status().role).toBe("follower");
    expect(c.engine(2).status().membership).toEqual({ voters: [2, 3], learners: [] });
    c.tick(1, 100);
    expect(c.engine(1).status().role).toBe("follower"); // no longer a voter: never campaigns
    c.elect(2);
    expect(c.engine(2).status().role).toBe("leader");
    c.engine(2).propose(new TextEncoder().encode("after"));
    c.stabilize();
    expect(c.appliedData(3)).toContain("after");
  });
});
