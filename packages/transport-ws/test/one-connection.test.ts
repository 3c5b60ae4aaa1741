import { describe, expect, it } from "vitest";
import { TcpProxy } from "@raft/core/testing";
import { closedAfterEach, heartbeat, startedNode, waitFor } from "./support/transports.js";
import { NodeId } from "@raft/core/contracts";

const open = closedAfterEach();

function node(id: number) {
  return startedNode(open, NodeId.of(id));
}

describe("one connection per peer pair", () => {
  it.each([
    [1, 2],
    [7, 3],
  ])("when nodes %i and %i dial each other at once, both keep the connection dialed by the lower id", async (x, y) => {
    const a = await node(x);
    const b = await node(y);
    a.t.updatePeers(new Map([[y, b.t.address]]));
    b.t.updatePeers(new Map([[x, a.t.address]]));
    // Same tick: neither can see the other's connection before dialing.
    a.t.send([heartbeat(NodeId.of(x), NodeId.of(y), 1)]);
    b.t.send([heartbeat(NodeId.of(y), NodeId.of(x), 1)]);
    await waitFor(() => a.messages.length === 1 && b.messages.length === 1, "delivery both ways");
    await waitFor(() => a.t.connections().length === 1 && b.t.connections().length === 1, "the duplicate to close");
    const lower = Math.min(x, y);
    expect(a.t.connections()).toMatchObject([{ peer: y, dialedBy: lower }]);
    expect(b.t.connections()).toMatchObject([{ peer: x, dialedBy: lower }]);
    expect(a.t.stats().dials + b.t.stats().dials).toBe(2);
    // Both directions keep flowing over the survivor.
    a.t.send([heartbeat(NodeId.of(x), NodeId.of(y), 2)]);
    b.t.send([heartbeat(NodeId.of(y), NodeId.of(x), 2)]);
    await waitFor(() => a.messages.length === 2 && b.messages.length === 2, "delivery over the survivor");
  });

  it("answers over the peer's connection when it has no address for it", async () => {
    const a = await node(1);
    const b = await node(2); // knows no one
    b.t.send([heartbeat(NodeId.of(2), NodeId.of(1), 1)]);
    expect(b.t.stats().droppedByReason["no-route"]).toBe(1);

    a.t.updatePeers(new Map([[2, b.t.address]]));
    a.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
    await waitFor(() => b.messages.length === 1, "a's message");
    b.t.send([heartbeat(NodeId.of(2), NodeId.of(1), 2)]);
    await waitFor(() => a.messages.length === 1, "the answer over the inbound connection");
    expect(b.t.stats().dials).toBe(0);
    expect(b.t.connections()).toMatchObject([{ peer: 1, dialedBy: 1 }]);
  });

  it("learns the address a dialer advertises, and dials it back once their connection is gone", async () => {
    const a = await node(1);
    const b = await node(2); // knows no one
    const proxy = await TcpProxy.listen(b.t.address);
    a.t.updatePeers(new Map([[2, proxy.address]]));
    try {
      a.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
      await waitFor(() => b.messages.length === 1, "a's message");
      proxy.cut(); // resets the connection; nothing dials through the proxy again
      await waitFor(() => b.t.stats().connections === 0, "b to see the connection gone");
      b.t.send([heartbeat(NodeId.of(2), NodeId.of(1), 1)]);
      await waitFor(() => a.messages.length === 1, "b's message over a connection b dialed");
      expect(b.t.stats().dials).toBe(1);
      expect(b.t.connections()).toMatchObject([{ peer: 1, dialedBy: 2, remote: a.t.address }]);
    } finally {
      await proxy.close();
    }
  });

  it("a peer re-dialing replaces its old connection (newer wins when the same node dialed)", async () => {
    const a = await node(1);
    const b = await node(2);
    a.t.updatePeers(new Map([[2, b.t.address]]));
    a.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
    await waitFor(() => b.messages.length === 1, "delivery");
    // a restarts (same id, new process-like transport) and dials again while b still holds the old connection.
    await a.t.close();
    const a2 = await node(1);
    a2.t.updatePeers(new Map([[2, b.t.address]]));
    a2.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 2)]);
    await waitFor(() => b.messages.length === 2, "delivery from the restarted node");
    await waitFor(() => b.t.connections().length === 1, "one connection");
    b.t.send([heartbeat(NodeId.of(2), NodeId.of(1), 1)]);
    await waitFor(() => a2.messages.length === 1, "b's answer reaches the new connection");
  });
});
