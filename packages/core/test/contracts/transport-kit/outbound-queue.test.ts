import { describe, expect, it } from "vitest";
import { encodeMessages, OutboundQueue, type Message } from "../../../src/contracts/index.js";

const heartbeat = (n: number): Message => ({ type: "Heartbeat", from: 1, to: 2, term: n, commit: 0 }) as unknown as Message;
const append = (bytes: number): Message =>
  ({ type: "Append", from: 1, to: 2, term: 1, prevIndex: 0, prevTerm: 0, entries: [{ index: 1, term: 1, type: "command", data: new Uint8Array(bytes) }], commit: 0 }) as unknown as Message;
const encode = (batch: readonly Message[]) => encodeMessages(batch);

describe("OutboundQueue", () => {
  it("drops the oldest message when full, and says so", () => {
    const q = new OutboundQueue(3);
    expect([1, 2, 3].map((n) => q.push(heartbeat(n)))).toEqual([0, 0, 0]);
    expect(q.push(heartbeat(4))).toBe(1);
    expect(q.length).toBe(3);
    const taken = q.take(1 << 20, (batch) => ({ length: 1, terms: batch.map((m) => m.term) }));
    expect(taken).toMatchObject({ count: 3, frame: { terms: [2, 3, 4] } });
    expect(q.length).toBe(0);
    expect(q.take(1 << 20, encode)).toBeUndefined();
  });

  it("batches in order into frames of at most maxFrameBytes", () => {
    const q = new OutboundQueue(1000);
    for (let i = 0; i < 40; i++) q.push(append(10_000));
    const frames: number[] = [];
    for (let t = q.take(64 * 1024, encode); t !== undefined; t = q.take(64 * 1024, encode)) {
      if (!("frame" in t)) throw new Error("nothing here is oversized");
      expect(t.frame.length).toBeLessThanOrEqual(64 * 1024);
      frames.push(t.count);
    }
    expect(frames.reduce((a, b) => a + b)).toBe(40);
    expect(frames.length).toBeGreaterThan(6);
  });

  it("hands back a message too large for any frame, with its size, and goes on", () => {
    const q = new OutboundQueue(10);
    q.push(append(100_000));
    q.push(heartbeat(7));
    const first = q.take(64 * 1024, encode);
    expect(first).toMatchObject({ oversized: { type: "Append" } });
    expect((first as { bytes: number }).bytes).toBeGreaterThan(100_000);
    expect(q.take(64 * 1024, encode)).toMatchObject({ count: 1 });
  });

  it("clear() says how many messages it dropped", () => {
    const q = new OutboundQueue(10);
    q.push(heartbeat(1));
    q.push(heartbeat(2));
    expect(q.clear()).toBe(2);
    expect(q.length).toBe(0);
  });
});
