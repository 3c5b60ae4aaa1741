import { describe, expect, it } from "vitest";
import { EngineCluster } from "../support/engine-cluster.js";

describe("leader lease", () => {
  it("a follower that restarts refuses votes for an election timeout, so a lease it acknowledged still holds", () => {
    const c = new EngineCluster([1, 2, 3], { preVote: false, checkQuorum: true, leaseRead: true });
    c.elect(1);
    c.tick(1);
    c.stabilize(); // 2 and 3 acknowledged a heartbeat: leader 1 holds a lease
    c.engine(1).readIndex(1);
    expect(c.processReady(1)).toContain("  read id=1 index=1"); // served from the lease at once
    c.partition([[1], [2, 3]]);
    c.start(2); // node 2 crashes and restarts at once, forgetting its leader
    c.engine(3).campaign();
    c.stabilize();
    expect(c.engine(3).status().role).toBe("candidate"); // 2 refused: 1 may still be serving lease reads
    c.tick(2, 10); // one election timeout later the old lease has expired
    c.engine(3).campaign();
    c.stabilize();
    expect(c.engine(3).status().role).toBe("leader");
  });

  it("without lease reads, a restarted follower votes at once", () => {
    const c = new EngineCluster([1, 2, 3], { preVote: false, checkQuorum: true });
    c.elect(1);
    c.partition([[1], [2, 3]]);
    c.start(2);
    c.engine(3).campaign();
    c.stabilize();
    expect(c.engine(3).status().role).toBe("leader");
  });

  it("the leader stops serving from its lease once it runs out", () => {
    const c = new EngineCluster([1, 2, 3], { preVote: false, checkQuorum: true, leaseRead: true });
    c.elect(1);
    c.tick(1);
    c.stabilize();
    c.partition([[1], [2, 3]]);
    c.tick(1, 9);
    c.engine(1).readIndex(2);
    expect(c.processReady(1)).not.toContain("  read id=2 index=1");
  });
});

describe("proposal limits", () => {
  it("refuses proposals once uncommitted bytes reach the cap, and accepts them again after commit", () => {
    const c = new EngineCluster([1, 2, 3], { preVote: false, maxUncommittedBytes: 10 });
    c.elect(1);
    c.partition([[1], [2, 3]]);
    const e = c.engine(1);
    e.propose(new Uint8Array(6));
    expect(() => e.propose(new Uint8Array(6))).toThrowError(expect.objectContaining({ code: "ProposalDropped" }));
    c.heal();
    c.tick(1);
    c.stabilize();
    expect(e.status().commit).toBe(2);
    expect(e.propose(new Uint8Array(6)).index).toBe(3);
  });

  it("batches many proposals into one append per follower", () => {
    const c = new EngineCluster([1, 2, 3], { preVote: false });
    c.elect(1);
    for (let i = 0; i < 100; i++) c.engine(1).propose(new Uint8Array([i]));
    c.processReady(1);
    const appends = c.mailbox.filter((m) => m.type === "Append");
    expect(appends.map((m) => m.type === "Append" && m.entries.length)).toEqual([100, 100]);
  });

  it("splits a batch by the byte limit of one message", () => {
    const c = new EngineCluster([1, 2, 3], { preVote: false, maxMsgBytes: 250 });
    c.elect(1);
    for (let i = 0; i < 10; i++) c.engine(1).propose(new Uint8Array(100));
    c.processReady(1);
    const to2 = c.mailbox.filter((m) => m.type === "Append" && m.to === 2);
    expect(to2.map((m) => m.type === "Append" && m.entries.length)).toEqual([2, 2, 2, 2, 2]);
  });
});
