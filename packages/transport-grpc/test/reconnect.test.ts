import type { Message } from "@raft/core/contracts";
import { expect, it } from "vitest";
import { GrpcTransport } from "../src/index.js";
import { closeAll, RecordingLogger, waitFor } from "./support.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

const heartbeat = (from: NodeId, to: NodeId, round: number): Message => ({ type: "Heartbeat", from, to, term: Term.of(1), commit: Index.zero, round });
const noSnapshots = () => {
  throw new Error("no snapshots");
};

it("a peer that restarts on the same address gets messages again, after retries with backoff", async () => {
  const logger = new RecordingLogger();
  const open: GrpcTransport[] = [];
  try {
    const a = await GrpcTransport.listen({ id: 1, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, logger, reconnect: { minDelayMs: 20, maxDelayMs: 200 } });
    open.push(a);
    await a.start({ onMessage: () => {}, onSnapshotRequest: noSnapshots });
    const first: Message[] = [];
    const b1 = await GrpcTransport.listen({ id: 2, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 } });
    open.push(b1);
    await b1.start({ onMessage: (m) => first.push(m), onSnapshotRequest: noSnapshots });
    a.updatePeers(new Map([[NodeId.of(2), b1.address]]));
    a.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
    await waitFor(() => first.length === 1, "delivery to the first incarnation");

    // Node 2 goes away: node 1 keeps sending (as a leader's heartbeats would), and keeps failing.
    await b1.close();
    let round = 2;
    await waitFor(() => {
      a.send([heartbeat(NodeId.of(1), NodeId.of(2), round++)]);
      return (a.stats().refusals["peer unreachable"] ?? 0) >= 3;
    }, "failed reconnection attempts");
    expect(a.stats().streamFailures).toBeGreaterThanOrEqual(3);
    expect(logger.withReason("peer unreachable")[0]?.level).toBe("info");

    // Node 2 comes back on the same port: messages flow again.
    const second: Message[] = [];
    const port = Number(b1.address.split(":")[1]);
    const b2 = await GrpcTransport.listen({ id: 2, clusterId: "bank", listen: { host: "127.0.0.1", port } });
    open.push(b2);
    await b2.start({ onMessage: (m) => second.push(m), onSnapshotRequest: noSnapshots });
    await waitFor(() => {
      a.send([heartbeat(NodeId.of(1), NodeId.of(2), round++)]);
      return second.length > 0;
    }, "delivery to the second incarnation");
    // What arrives comes in the order sent.
    const rounds = second.map((m) => (m.type === "Heartbeat" ? m.round : -1));
    expect(rounds).toEqual([...rounds].sort((x, y) => x - y));
    expect(rounds[0]).toBeGreaterThan(1);
  } finally {
    await closeAll(open);
  }
});

it("a restarted sender reconnects on its own, and the receiver takes its new stream", async () => {
  const open: GrpcTransport[] = [];
  try {
    const got: Message[] = [];
    const b = await GrpcTransport.listen({ id: 2, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, peers: { 1: "127.0.0.1:1" } });
    open.push(b);
    await b.start({ onMessage: (m) => got.push(m), onSnapshotRequest: noSnapshots });
    for (const round of [1, 2]) {
      const a = await GrpcTransport.listen({ id: 1, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, peers: { 2: b.address } });
      open.push(a);
      await a.start({ onMessage: () => {}, onSnapshotRequest: noSnapshots });
      a.send([heartbeat(NodeId.of(1), NodeId.of(2), round)]);
      await waitFor(() => got.length === round, `delivery from incarnation ${round}`);
      await a.close();
    }
    expect(got.map((m) => (m.type === "Heartbeat" ? m.round : -1))).toEqual([1, 2]);
  } finally {
    await closeAll(open);
  }
});
