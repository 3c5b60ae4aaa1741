import { describe, expect, it } from "vitest";
import { Index, NodeId, RaftError, Term } from "../../src/engine/index.js";
import { silentLogger } from "../../src/contracts/index.js";
import { SnapshotServer } from "../../src/runtime/snapshots/snapshot-server.js";
import { emptySnapshotStats } from "../../src/runtime/snapshots/snapshot-stats.js";
import { TransferTracker } from "../../src/runtime/snapshots/transfer-tracker.js";
import { withProgressTimeout } from "../../src/runtime/snapshots/stream-timeout.js";
import { TokenBucket } from "../../src/runtime/index.js";
import { drainMicrotasks, MemorySnapshotStore, SimClock } from "../../src/testing/index.js";

async function runClock(clock: SimClock, until: () => boolean, limit = 100_000): Promise<void> {
  while (!until() && clock.now() < limit) {
    await drainMicrotasks();
    if (until()) return;
    if (!clock.fireNext()) await drainMicrotasks();
  }
}

describe("snapshot flow control", () => {
  it("the token bucket allows a one-second burst, then the configured rate", async () => {
    const clock = new SimClock();
    const bucket = new TokenBucket(1000, clock);
    let done = false;
    void (async () => {
      for (let i = 0; i < 30; i++) await bucket.take(100); // 3,000 bytes at 1,000 B/s
      done = true;
    })();
    await runClock(clock, () => done);
    expect(clock.now()).toBeGreaterThanOrEqual(1900);
    expect(clock.now()).toBeLessThanOrEqual(2100);
  });

  it("a stalled stream fails with Timeout after the progress timeout, not the total duration", async () => {
    const clock = new SimClock();
    let cancelled = false;
    async function* slowThenStall() {
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((r) => clock.setTimeout(r, 80)); // steady progress, 400 ms in total
        yield i;
      }
      await new Promise(() => {}); // then nothing
    }
    const got: number[] = [];
    let error: unknown;
    void (async () => {
      try {
        for await (const x of withProgressTimeout(slowThenStall(), 100, clock, () => (cancelled = true))) got.push(x);
      } catch (e) {
        error = e;
      }
    })();
    await runClock(clock, () => error !== undefined);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(error).toMatchObject({ code: "Timeout" });
    expect(cancelled).toBe(true);
    expect(clock.now()).toBe(500);
  });

  it("the server caps concurrent transfers (Busy) and pins what it sends", async () => {
    const store = new MemorySnapshotStore();
    const w = await store.create({ index: Index.of(5), term: Term.of(1), membership: { voters: [NodeId.of(1)], learners: [] } });
    await w.write("data", new Uint8Array(10_000));
    const meta = await w.commit();
    const clock = new SimClock();
    const server = new SnapshotServer(store, { maxConcurrent: 1, bytesPerSecond: 0, clock, logger: silentLogger, stats: emptySnapshotStats(), transfers: new TransferTracker(clock, () => {}) });
    const request = { id: meta.id, file: "data", offset: 0, chunkSize: 1000 };
    const first = server.serve(NodeId.of(2), request, new AbortController().signal)[Symbol.asyncIterator]();
    await first.next();
    const second = server.serve(NodeId.of(3), request, new AbortController().signal)[Symbol.asyncIterator]();
    await expect(second.next()).rejects.toMatchObject({ code: "Busy" });
    // A newer snapshot and pruning to one: the one being sent stays.
    const w2 = await store.create({ index: Index.of(9), term: Term.of(1), membership: { voters: [NodeId.of(1)], learners: [] } });
    await w2.write("data", new Uint8Array(5));
    await w2.commit();
    await store.prune(1);
    expect((await store.list()).map((m) => m.id)).toContain(meta.id);
    let n = 1;
    while (!(await first.next()).done) n++;
    expect(n).toBe(10);
    await store.prune(1);
    expect((await store.list()).map((m) => m.id)).not.toContain(meta.id);
    const third = server.serve(NodeId.of(3), { ...request, id: meta.id }, new AbortController().signal)[Symbol.asyncIterator]();
    await expect(third.next()).rejects.toBeInstanceOf(RaftError);
  });
});
