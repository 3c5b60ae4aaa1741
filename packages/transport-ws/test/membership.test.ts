import { TestCluster } from "@raft/core/testing";
import { describe, expect, it } from "vitest";
import { WsTransport } from "../src/index.js";
import { baseOptions, waitFor } from "./support/transports.js";
import { NodeId } from "@raft/core/contracts";

const text = (s: string) => new TextEncoder().encode(s);

describe("peer addresses from membership", () => {
  it("a learner added with its address catches up from a streamed snapshot, is promoted, and votes", async () => {
    // Frequent snapshots, no trailing entries and no inline snapshots: node 4 must pull its snapshot over the socket.
    const cluster = TestCluster.of([1, 2, 3], {
      node: { electionTicks: 10, snapshotEntries: 10, keepTrailing: 0, snapshotInlineBytes: 0, snapshotChunkBytes: 256 },
      transport: (id) => WsTransport.listen(baseOptions(NodeId.of(id))),
    });
    try {
      await cluster.startAll();
      await cluster.waitForLeader();
      for (let i = 0; i < 40; i++) await cluster.propose(text(`before-${i}`));

      // Node 4 listens with no peers configured: every connection it uses is dialed by the others.
      const four = await cluster.startJoiner(4);
      const transport = cluster.transports.get(4) as WsTransport;
      const leader = await cluster.waitForLeader();
      const membership = await leader.addLearner(4, transport.address);
      expect(membership.learners).toContain(4);
      expect(membership.addresses?.["4"]).toBe(transport.address);

      const last = await cluster.propose(text("after-learner"));
      await cluster.waitApplied(last, [1, 2, 3, 4]);
      const machine = cluster.machines.get(4);
      expect(machine?.restoredValues).toBeGreaterThan(0);
      expect(machine?.values.at(-1)).toBe("after-learner");
      expect(transport.stats().snapshotBytesReceived).toBeGreaterThan(0);
      expect(transport.stats().dials).toBe(0);

      const promoted = await (cluster.leader() ?? leader).promote(4);
      expect(promoted.voters).toContain(4);
      const afterPromotion = await cluster.propose(text("after-promotion"));
      await cluster.waitApplied(afterPromotion, [1, 2, 3, 4]);
      expect(four.status().role).toBe("follower");

      // With 4 voters, losing the leader leaves a quorum only with node 4: nodes 2 and 3 reach it at the address from membership.
      const old = cluster.leader();
      await old?.stop();
      await waitFor(() => cluster.leader() !== undefined && cluster.leader() !== old, "a new leader among the three left", 20_000);
      const index = await cluster.propose(text("without-the-old-leader"));
      const rest = [1, 2, 3, 4].filter((id) => cluster.node(id) !== old);
      await cluster.waitApplied(index, rest);
      for (const id of rest) expect(cluster.machines.get(id)?.values.at(-1)).toBe("without-the-old-leader");
    } finally {
      await cluster.stopAll();
    }
  });
});
