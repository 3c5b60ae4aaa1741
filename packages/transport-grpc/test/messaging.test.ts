import type { Message } from "@raft/core/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { GrpcTransport, type GrpcTransportOptions } from "../src/index.js";
import { closeAll, RecordingLogger, waitFor } from "./support.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

const heartbeat = (from: NodeId, to: NodeId, round: number): Message => ({ type: "Heartbeat", from, to, term: Term.of(1), commit: Index.zero, round });
const append = (from: NodeId, to: NodeId, i: number, bytes: number): Message => ({
  type: "Append",
  from,
  to,
  term: Term.of(1),
  prevIndex: Index.of(i),
  prevTerm: Term.of(1),
  commit: Index.zero,
  entries: [{ index: Index.of(i + 1), term: Term.of(1), kind: "normal", data: new Uint8Array(bytes).fill(i % 256) }],
});
const noSnapshots = () => {
  throw new Error("no snapshots");
};

const open: GrpcTransport[] = [];
afterEach(async () => {
  await closeAll(open.splice(0));
});

async function listen(id: NodeId, extra: Partial<GrpcTransportOptions> = {}, inbox?: Message[]): Promise<GrpcTransport> {
  const t = await GrpcTransport.listen({ id, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, ...extra });
  open.push(t);
  if (inbox !== undefined) await t.start({ onMessage: (m) => inbox.push(m), onSnapshotRequest: noSnapshots });
  return t;
}

describe("sending", () => {
  it("batches one turn's messages to a peer into one frame", async () => {
    const got: Message[] = [];
    const b = await listen(NodeId.of(2), {}, got);
    const a = await listen(NodeId.of(1), { peers: { 2: b.address } }, []);
    a.send(Array.from({ length: 1000 }, (_, i) => heartbeat(NodeId.of(1), NodeId.of(2), i)));
    await waitFor(() => got.length === 1000, "delivery");
    expect(a.stats()).toMatchObject({ framesSent: 1, messagesSent: 1000 });
    expect(b.stats()).toMatchObject({ framesReceived: 1, messagesReceived: 1000 });
  });

  it("cuts large batches into frames under maxFrameBytes, keeping their order", async () => {
    const got: Message[] = [];
    const b = await listen(NodeId.of(2), { maxFrameBytes: 64 * 1024 }, got);
    const a = await listen(NodeId.of(1), { peers: { 2: b.address }, maxFrameBytes: 64 * 1024 }, []);
    const sent = Array.from({ length: 100 }, (_, i) => append(NodeId.of(1), NodeId.of(2), i, 10_000));
    a.send(sent);
    await waitFor(() => got.length === 100, "delivery");
    // (Compared as bytes: a deep equality over a megabyte of entries is slow.)
    const summary = (ms: Message[]) => ms.map((m) => (m.type === "Append" ? `${m.prevIndex}:${Buffer.from(m.entries[0]?.data ?? []).toString("base64")}` : m.type));
    expect(summary(got)).toEqual(summary(sent));
    expect(a.stats().framesSent).toBeGreaterThanOrEqual(16);
  });

  it("drops (and counts, and logs) a message too large for any frame; the rest still go", async () => {
    const got: Message[] = [];
    const logger = new RecordingLogger();
    const b = await listen(NodeId.of(2), { maxFrameBytes: 64 * 1024 }, got);
    const a = await listen(NodeId.of(1), { peers: { 2: b.address }, maxFrameBytes: 64 * 1024, logger }, []);
    a.send([heartbeat(NodeId.of(1), NodeId.of(2), 1), append(NodeId.of(1), NodeId.of(2), 5, 100_000), heartbeat(NodeId.of(1), NodeId.of(2), 2)]);
    await waitFor(() => got.length === 2, "delivery");
    expect(got).toEqual([heartbeat(NodeId.of(1), NodeId.of(2), 1), heartbeat(NodeId.of(1), NodeId.of(2), 2)]);
    expect(a.stats().droppedOversized).toBe(1);
    expect(logger.withReason("message too large")[0]).toMatchObject({ level: "warn", fields: { peer: 2, type: "Append" } });
  });

  it("never throws nor blocks: a full queue drops what does not fit, and a node with no address gets nothing", async () => {
    // Port 1 on 127.0.0.1: nothing listens, every call fails.
    const a = await listen(NodeId.of(1), { peers: { 2: "127.0.0.1:1" }, maxQueuedMessages: 10 }, []);
    expect(() => a.send(Array.from({ length: 100 }, (_, i) => heartbeat(NodeId.of(1), NodeId.of(2), i)))).not.toThrow();
    expect(a.stats().droppedQueueFull).toBe(90);
    expect(() => a.send([heartbeat(NodeId.of(1), NodeId.of(99), 1), heartbeat(NodeId.of(1), NodeId.of(1), 1)])).not.toThrow();
    expect(a.stats().droppedNoAddress).toBe(1);
  });

  it("follows a peer to the address membership gives it", async () => {
    const first: Message[] = [];
    const second: Message[] = [];
    const b1 = await listen(NodeId.of(2), {}, first);
    const a = await listen(NodeId.of(1), { peers: { 2: b1.address } }, []);
    a.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
    await waitFor(() => first.length === 1, "delivery at the configured address");
    const b2 = await listen(NodeId.of(2), {}, second);
    a.updatePeers(new Map([[NodeId.of(2), b2.address]]));
    a.send([heartbeat(NodeId.of(1), NodeId.of(2), 2)]);
    await waitFor(() => second.length === 1, "delivery at the new address");
    expect(first).toHaveLength(1);
  });
});

describe("receiving", () => {
  it("drops messages that arrive before start(), and delivers after", async () => {
    const got: Message[] = [];
    const b = await listen(NodeId.of(2));
    const a = await listen(NodeId.of(1), { peers: { 2: b.address } }, []);
    a.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
    await waitFor(() => b.stats().droppedNotStarted === 1, "the early message to be dropped");
    await b.start({ onMessage: (m) => got.push(m), onSnapshotRequest: noSnapshots });
    a.send([heartbeat(NodeId.of(1), NodeId.of(2), 2)]);
    await waitFor(() => got.length === 1, "delivery after start");
    expect(got).toEqual([heartbeat(NodeId.of(1), NodeId.of(2), 2)]);
  });

  it("learns where an unconfigured caller listens, and answers there", async () => {
    const atA: Message[] = [];
    const b = await listen(NodeId.of(2), {}, []);
    const a = await listen(NodeId.of(1), { peers: { 2: b.address } }, atA);
    a.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
    await waitFor(() => b.stats().messagesReceived === 1, "delivery to node 2");
    // Node 2 was told nothing about node 1; the call carried node 1's address.
    b.send([heartbeat(NodeId.of(2), NodeId.of(1), 7)]);
    await waitFor(() => atA.length === 1, "the answer");
    expect(atA).toEqual([heartbeat(NodeId.of(2), NodeId.of(1), 7)]);
  });

  it("keeps a stream open past a bad frame: the good frames on it still arrive", async () => {
    const got: Message[] = [];
    const logger = new RecordingLogger();
    const b = await listen(NodeId.of(2), { logger }, got);
    const a = await listen(NodeId.of(1), { peers: { 2: b.address } }, []);
    a.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
    // A message claiming another sender makes its frame invalid; it is sent in its own turn, so its own frame.
    await waitFor(() => got.length === 1, "the first frame");
    a.send([{ ...heartbeat(NodeId.of(1), NodeId.of(2), 2), from: NodeId.of(3) }]);
    await waitFor(() => b.stats().rejectedFrames === 1, "the bad frame's rejection");
    a.send([heartbeat(NodeId.of(1), NodeId.of(2), 3)]);
    await waitFor(() => got.length === 2, "the next good frame");
    expect(got.map((m) => (m.type === "Heartbeat" ? m.round : 0))).toEqual([1, 3]);
    expect(a.stats().streamFailures).toBe(0);
    expect(logger.withReason("wrong sender")[0]?.fields).toMatchObject({ caller: 1 });
  });
});
