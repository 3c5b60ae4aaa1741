import { afterEach, describe, expect, it } from "vitest";
import { RaftNode } from "../../src/runtime/index.js";
import { InMemoryNetwork, MemoryLog, MemorySnapshotStore, SimClock, SimLogStore, SimStateMachine, TestCluster } from "../../src/testing/index.js";
import { NodeId, Prng, type Index } from "../../src/engine/index.js";
import { bytes } from "../support/bytes.js";

let cluster: TestCluster<Index, SimStateMachine>;
afterEach(async () => {
  await cluster?.stopAll();
});

describe("RaftNode", () => {
  it("elects a leader and resolves a proposal with the state machine's result once applied", async () => {
    cluster = TestCluster.of([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const index = await cluster.settle(leader.propose(bytes("hello")));
    expect(index).toBe(leader.status().applied);
    expect(cluster.machines.get(leader.id)?.values).toEqual(["hello"]);
    await cluster.run(100);
    for (const sm of cluster.machines.values()) expect(sm.values).toEqual(["hello"]);
  });

  it("refuses a proposal on a follower with NotLeader and the leader's id", async () => {
    cluster = TestCluster.of([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await cluster.run(50);
    const follower = cluster.node(leader.id === 1 ? 2 : 1);
    await expect(follower.propose(bytes("x"))).rejects.toMatchObject({ code: "NotLeader", leaderHint: leader.id });
  });

  it("serves linearizable reads on the leader and on followers after the latest acknowledged write", async () => {
    cluster = TestCluster.of([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    const written = await cluster.settle(leader.propose(bytes("w")));
    const follower = cluster.node(leader.id === 1 ? 2 : 1);
    const readIndex = await cluster.settle(follower.read());
    expect(readIndex).toBeGreaterThanOrEqual(written);
    expect(cluster.machines.get(follower.id)?.appliedIndex).toBeGreaterThanOrEqual(written);
    expect(await cluster.settle(leader.read())).toBeGreaterThanOrEqual(written);
  });

  it("times out a read that cannot be confirmed", async () => {
    cluster = TestCluster.of([1, 2, 3], { node: { readTimeoutMs: 300 } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await cluster.run(50);
    cluster.network.isolate(leader.id, [1, 2, 3]);
    const err = await cluster.settle(leader.read()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: expect.stringMatching(/Timeout|NotLeader/) });
  });

  it("ends a proposal's wait with Timeout, or Aborted by its signal; the outcome is then unknown", async () => {
    cluster = TestCluster.of([1, 2, 3], { node: { proposeTimeoutMs: 0 } });
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await cluster.run(50);
    // Cut off from its followers, the leader cannot commit: only the bounds end the waits.
    cluster.network.isolate(leader.id, [1, 2, 3]);
    const timedOut = cluster.settle(leader.propose(bytes("t"), { timeoutMs: 100 })).catch((e: unknown) => e);
    const controller = new AbortController();
    const aborted = leader.propose(bytes("a"), { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(await timedOut).toMatchObject({ code: "Timeout" });
    expect(await aborted).toMatchObject({ code: "Aborted" });
    expect(await leader.propose(bytes("b"), { signal: AbortSignal.abort() }).catch((e: unknown) => e)).toMatchObject({ code: "Aborted" });
    expect(leader.status().pendingProposals).toBe(0);
  });

  it("reports role, leader, commit and apply events, and per-peer progress on the leader", async () => {
    cluster = TestCluster.of([1, 2, 3]);
    const events: string[] = [];
    const node = await cluster.start(1);
    node.on("role", (e) => events.push(`role:${e.role}`));
    node.on("leader", (e) => events.push(`leader:${e.leader}`));
    node.on("commit", () => events.push("commit"));
    node.on("apply", () => events.push("apply"));
    await cluster.start(2);
    await cluster.start(3);
    node.campaign();
    await cluster.until(() => node.status().role === "leader");
    await cluster.settle(node.propose(bytes("e")));
    expect(events).toEqual(expect.arrayContaining(["role:pre-candidate", "role:candidate", "role:leader", "leader:1", "commit", "apply"]));
    // The proposal may have committed with node 3's acknowledgement alone; node 2's follows.
    await cluster.until(() => node.status().progress?.get(NodeId.of(2))?.match === node.status().lastIndex);
    const status = node.status();
    expect(status).toMatchObject({ role: "leader", leader: 1, pendingProposals: 0, stopped: false });
    expect([...(status.progress?.keys() ?? [])].sort()).toEqual([1, 2, 3]);
    expect(status.progress?.get(NodeId.of(2))?.match).toBe(status.lastIndex);
  });

  it("restarts from its durable log and re-applies committed commands", async () => {
    cluster = TestCluster.of([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    for (const v of ["a", "b", "c"]) await cluster.settle(leader.propose(bytes(v)));
    await cluster.run(100);
    const victim = leader.id === 3 ? 2 : 3;
    await cluster.crash(victim);
    const again = await cluster.start(victim);
    await cluster.until(() => (cluster.machines.get(victim)?.values.length ?? 0) === 3);
    expect(cluster.machines.get(victim)?.values).toEqual(["a", "b", "c"]);
    expect(again.status().term).toBeGreaterThanOrEqual(1);
  });

  it("transfers leadership; proposals during the transfer fail with ProposalDropped", async () => {
    cluster = TestCluster.of([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    await cluster.settle(leader.propose(bytes("before")));
    const target = leader.id === 3 ? 2 : 3;
    leader.transferLeadership(target);
    await expect(leader.propose(bytes("during"))).rejects.toMatchObject({ code: "ProposalDropped" });
    await cluster.until(() => cluster.node(target).status().role === "leader");
    expect(await cluster.settle(cluster.node(target).propose(bytes("after")))).toBeGreaterThan(0);
  });

  it("stop() rejects waiting clients with Stopped and refuses new calls", async () => {
    cluster = TestCluster.of([1, 2, 3]);
    await cluster.startAll();
    const leader = await cluster.waitForLeader();
    cluster.network.isolate(leader.id, [1, 2, 3]);
    const pending = leader.propose(bytes("never"));
    pending.catch(() => {});
    await cluster.run(20);
    expect(leader.status().pendingProposals).toBe(1);
    await cluster.crash(leader.id);
    await expect(pending).rejects.toMatchObject({ code: "Stopped" });
    await expect(leader.propose(bytes("late"))).rejects.toMatchObject({ code: "Stopped" });
  });

  it("stops with an error event instead of diverging when storage fails", async () => {
    const clock = new SimClock();
    const network = new InMemoryNetwork({ clock });
    const store = new SimLogStore(new MemoryLog(), clock, new Prng(1));
    store.save = () => Promise.reject(new Error("disk on fire"));
    const node = new RaftNode<Index>({ id: 1, voters: [1], tickMs: 10, log: store, snapshots: new MemorySnapshotStore(), stateMachine: new SimStateMachine(), transport: network.transport(1), clock });
    const errors: string[] = [];
    node.on("error", (e) => errors.push(e.error.message));
    await node.start();
    for (let i = 0; i < 100 && errors.length === 0; i++) {
      clock.fireNext();
      await new Promise((r) => setImmediate(r));
    }
    expect(errors).toEqual(["disk on fire"]);
    expect(node.status().stopped).toBe(true);
    await expect(node.propose(bytes("x"))).rejects.toMatchObject({ code: "Stopped" });
    cluster = TestCluster.of([]);
  });

  it("refuses an invalid configuration with InvalidConfig", () => {
    const make = (config: object) => () =>
      new RaftNode({
        id: 1,
        voters: [1],
        ...config,
        log: new SimLogStore(new MemoryLog(), new SimClock(), new Prng(1)),
        snapshots: new MemorySnapshotStore(),
        stateMachine: new SimStateMachine(),
        transport: new InMemoryNetwork().transport(1),
      });
    expect(make({ voters: [2, 3] })).toThrowError(expect.objectContaining({ code: "InvalidConfig" }));
    expect(make({ id: -1 })).toThrowError(expect.objectContaining({ code: "InvalidConfig" }));
    expect(make({ heartbeatTicks: 10, electionTicks: 10 })).toThrowError(expect.objectContaining({ code: "InvalidConfig" }));
    expect(make({ leaseRead: true, checkQuorum: false })).toThrowError(expect.objectContaining({ code: "InvalidConfig" }));
    cluster = TestCluster.of([]);
  });
});
