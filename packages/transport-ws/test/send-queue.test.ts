import type { Message } from "@raft/core/contracts";
import { describe, expect, it } from "vitest";
import { WsTransport, type WsTransportOptions } from "../src/index.js";
import { baseOptions, captureLogger, closedAfterEach, heartbeat, inbox, startedNode, waitFor } from "./support/transports.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

const open = closedAfterEach();

function node(id: number, extra: Partial<WsTransportOptions> = {}) {
  return startedNode(open, NodeId.of(id), extra);
}

const append = (round: number, bytes: number): Message => ({
  type: "Append",
  from: NodeId.of(1),
  to: NodeId.of(2),
  term: Term.of(1),
  prevIndex: Index.of(round),
  prevTerm: Term.of(1),
  commit: Index.zero,
  entries: [{ index: Index.of(round + 1), term: Term.of(1), kind: "normal", data: new Uint8Array(bytes).fill(round % 256) }],
});

describe("sending", () => {
  it("batches many messages into few frames", async () => {
    const a = await node(1);
    const b = await node(2);
    a.t.updatePeers(new Map([[2, b.t.address]]));
    a.t.send(Array.from({ length: 3000 }, (_, i) => heartbeat(NodeId.of(1), NodeId.of(2), i)));
    await waitFor(() => b.messages.length === 3000, "delivery");
    expect(b.t.stats().framesReceived).toBeLessThanOrEqual(3);
    expect(b.messages.map((m) => (m.type === "Heartbeat" ? m.round : -1))).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it("splits batches at maxFrameBytes, and drops (and logs) a message that cannot fit", async () => {
    const log = captureLogger();
    const a = await node(1, { maxFrameBytes: 64 << 10, logger: log.logger });
    const b = await node(2, { maxFrameBytes: 64 << 10 });
    a.t.updatePeers(new Map([[2, b.t.address]]));
    a.t.send([append(0, 40_000), append(1, 40_000), append(2, 100_000), append(3, 40_000)]);
    await waitFor(() => b.messages.length === 3, "the messages that fit");
    expect(b.messages.map((m) => (m.type === "Append" ? m.prevIndex : -1))).toEqual([0, 1, 3]);
    expect(a.t.stats().droppedByReason.oversized).toBe(1);
    expect(b.t.stats().framesReceived).toBe(3);
    expect(log.lines.some((l) => l.fields.reason === "oversized-outgoing" && l.fields.type === "Append")).toBe(true);
    expect(b.t.stats().rejectedFrames).toBe(0);
  });

  it("bounds each peer's queue, dropping the oldest messages", async () => {
    const a = await node(1, { maxQueuedMessages: 100, reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 } });
    const b = await node(2);
    const port = Number(b.t.address.split(":")[1]);
    await b.t.close(); // the peer is down: the first dial fails, the next waits a minute
    a.t.updatePeers(new Map([[2, `127.0.0.1:${port}`]]));
    a.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 0)]);
    await waitFor(() => a.t.stats().dialFailures === 1, "the dial to fail");
    expect(() => a.t.send(Array.from({ length: 1000 }, (_, i) => heartbeat(NodeId.of(1), NodeId.of(2), i + 1)))).not.toThrow();
    expect(a.t.stats().droppedByReason["queue-full"]).toBe(901);

    // The survivors are the newest 100, delivered once the peer is back and a is told to dial now.
    const b2 = await node(2, { listen: { host: "127.0.0.1", port } });
    a.t.updatePeers(new Map([[2, b2.t.address]]));
    b2.t.updatePeers(new Map([[1, a.t.address]]));
    b2.t.send([heartbeat(NodeId.of(2), NodeId.of(1), 0)]); // b2 dials a; a adopts it and flushes its queue
    await waitFor(() => b2.messages.length === 100, "the queued messages");
    expect(b2.messages.map((m) => (m.type === "Heartbeat" ? m.round : -1))).toEqual(Array.from({ length: 100 }, (_, i) => 901 + i));
  });

  it("never throws: unknown peers, itself, after close", async () => {
    const a = await node(1);
    expect(() => a.t.send([heartbeat(NodeId.of(1), NodeId.of(99), 1), heartbeat(NodeId.of(1), NodeId.of(1), 1)])).not.toThrow();
    expect(a.t.stats().droppedByReason).toEqual({ "no-route": 1, closed: 1 });
    await a.t.close();
    expect(() => a.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)])).not.toThrow();
    expect(a.t.stats().droppedByReason.closed).toBe(2);
  });

  it("drops messages that arrive before start()", async () => {
    const a = await node(1);
    const b = await WsTransport.listen(baseOptions(NodeId.of(2)));
    open.push(b);
    a.t.updatePeers(new Map([[2, b.address]]));
    a.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
    await waitFor(() => b.stats().droppedByReason["not-started"] === 1, "the early message to be dropped");
    const box = inbox();
    await b.start(box.handlers);
    a.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 2)]);
    await waitFor(() => box.messages.length === 1, "delivery after start");
    expect(box.messages[0]).toEqual(heartbeat(NodeId.of(1), NodeId.of(2), 2));
  });
});
