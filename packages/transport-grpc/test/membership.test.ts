import { TestCluster } from "@raft/core/testing";
import { expect, it } from "vitest";
import { GrpcTransport } from "../src/index.js";
import { waitFor } from "./support.js";

const text = (s: string) => new TextEncoder().encode(s);

it("a node added with its address catches up from a snapshot and the log, and is promoted, knowing no peer up front", async () => {
  // Small snapshots, no trailing entries and nothing inline: node 4 can only
  // catch up by pulling a snapshot over FetchSnapshot, then the log.
  const cluster = TestCluster.of([1, 2, 3], {
    node: { electionTicks: 10, snapshotEntries: 20, keepTrailing: 0, snapshotInlineBytes: 0, snapshotChunkBytes: 256 },
    transport: (id) => GrpcTransport.listen({ id, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 } }),
  });
  try {
    await cluster.startAll();
    for (let i = 0; i < 50; i++) await cluster.propose(text(`before-${i}`));
    await cluster.startJoiner(4);
    const joiner = cluster.transports.get(4) as GrpcTransport;
    const leader = await cluster.waitForLeader();
    const membership = await leader.addLearner(4, joiner.address);
    expect(membership.learners).toEqual([4]);
    expect(membership.addresses?.[4]).toBe(joiner.address);
    for (let i = 0; i < 10; i++) await cluster.propose(text(`after-${i}`));
    const machine4 = () => cluster.machines.get(4)?.values ?? [];
    await waitFor(() => machine4().includes("after-9"), "node 4 to catch up", 20_000);
    // It installed a snapshot pulled from a peer (it had none) and applied the rest from the log.
    expect(cluster.machines.get(4)?.restoredValues).toBeGreaterThan(0);
    expect(joiner.stats().snapshotBytesReceived).toBeGreaterThan(0);
    expect(machine4().filter((v) => v.startsWith("before-"))).toHaveLength(50);
    const promoted = await (await cluster.waitForLeader()).promote(4);
    expect(promoted.voters).toContain(4);
    // As a voter it takes part in commits: proposals still succeed, and reach it.
    await cluster.propose(text("as-voter"));
    await waitFor(() => machine4().includes("as-voter"), "node 4 to apply as a voter");
    expect(joiner.stats().messagesSent).toBeGreaterThan(0);
    expect(cluster.errors).toEqual([]);
  } finally {
    await cluster.stopAll();
  }
});
