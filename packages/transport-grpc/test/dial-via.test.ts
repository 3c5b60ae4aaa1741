import type { Message, NodeId } from "@raft/core/contracts";
import { TcpProxy } from "@raft/core/testing";
import { afterEach, expect, it } from "vitest";
import { GrpcTransport } from "../src/index.js";
import { closeAll, waitFor } from "./support.js";

const heartbeat = (from: NodeId, to: NodeId, round: number): Message => ({ type: "Heartbeat", from, to, term: 1, commit: 0, round });
const noSnapshots = () => {
  throw new Error("no snapshots");
};

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await closeAll(open.splice(0));
});

it("dials a peer through its dialVia address even when membership gives the peer's own", async () => {
  const b = await GrpcTransport.listen({ id: 2, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 } });
  open.push(b);
  const proxy = await TcpProxy.listen(b.address);
  open.push(proxy);
  const a = await GrpcTransport.listen({ id: 1, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, peers: { 2: b.address }, dialVia: { 2: proxy.address } });
  open.push(a);
  a.updatePeers(new Map([[2, b.address]]));
  const atB: Message[] = [];
  await a.start({ onMessage: () => {}, onSnapshotRequest: noSnapshots });
  await b.start({ onMessage: (m) => void atB.push(m), onSnapshotRequest: noSnapshots });
  let round = 0;
  const timer = setInterval(() => a.send([heartbeat(1, 2, ++round)]), 10);
  try {
    await waitFor(() => atB.length >= 3, "heartbeats at node 2");
    expect(proxy.stats().accepted).toBeGreaterThan(0);
    expect(proxy.stats().bytes.clientToServer).toBeGreaterThan(0);
    // With the proxy cut, nothing reaches node 2 any more: node 1 has no other way to it.
    proxy.cut();
    await new Promise((r) => setTimeout(r, 100));
    const before = atB.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(atB.length).toBe(before);
  } finally {
    clearInterval(timer);
  }
});

it("refuses a dialVia entry that is not host:port", async () => {
  await expect(GrpcTransport.listen({ id: 1, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, dialVia: { 2: "nowhere" } })).rejects.toThrow(/dialVia\.2/);
});
