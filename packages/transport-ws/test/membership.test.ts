import { describe, expect, it } from "vitest";
import { WsCluster } from "./support/raft-cluster.js";
import { waitFor } from "./support/transports.js";

describe("peer addresses from membership", () => {
  it("a learner added with its address catches up from a streamed snapshot, is promoted, and votes", async () => {
    // Frequent snapshots, no trailing entries and no inline snapshots: node 4 must pull its snapshot over the socket.
    const cluster = new WsCluster([1, 2, 3], { node: { snapshotEntries: 10, keepTrailing: 0, snapshotInlineBytes: 0, snapshotChunkBytes: 256 } });
    try {
      await cluster.start();
      await cluster.waitForLeader();
      for (let i = 0; i < 40; i++) await cluster.propose(`before-${i}`);

      // Node 4 listens with no peers configured: every connection it uses is dialed by the others.
      const { node: four, transport } = await cluster.startJoiner(4);
      const leader = await cluster.waitForLeader();
      const membership = await leader.addLearner(4, transport.address);
      expect(membership.learners).toContain(4);
      expect(membership.addresses?.["4"]).toBe(transport.address);

      const last = await cluster.propose("after-learner");
      await cluster.waitApplied(last, [1, 2, 3, 4]);
      const machine = cluster.machines.get(4);
      expect(machine?.restoredValues).toBeGreaterThan(0);
      expect(machine?.values.at(-1)).toBe("after-learner");
      expect(transport.stats().snapshotBytesReceived).toBeGreaterThan(0);
      expect(transport.stats().dials).toBe(0);

      const promoted = await (cluster.leader() ?? leader).promote(4);
      expect(promoted.voters).toContain(4);
      const afterPromotion = await cluster.propose("after-promotion");
      await cluster.waitApplied(afterPromotion, [1, 2, 3, 4]);
      expect(four.status().role).toBe("follower");

      // With 4 voters, losing the leader leaves a quorum only with node 4: nodes 2 and 3 reach it at the address from membership.
      const old = cluster.leader();
      await old?.stop();
      await waitFor(() => cluster.leader() !== undefined && cluster.leader() !== old, "a new leader among the three left", 20_000);
      const index = await cluster.propose("without-the-old-leader");
      const rest = [1, 2, 3, 4].filter((id) => cluster.node(id) !== old);
      await cluster.waitApplied(index, rest);
      for (const id of rest) expect(cluster.machines.get(id)?.values.at(-1)).toBe("without-the-old-leader");
    } finally {
      await cluster.stop();
    }
  });
});
