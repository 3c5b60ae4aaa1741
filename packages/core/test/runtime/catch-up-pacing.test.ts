import { afterEach, describe, expect, it } from "vitest";
import type { SimStateMachine } from "../../src/testing/index.js";
import { TestCluster } from "../../src/testing/index.js";
import type { Index } from "../../src/engine/index.js";

let cluster: TestCluster<Index, SimStateMachine> | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

const entries = 400;
const entryBytes = 1000;
/** What pacing counts: each entry's payload plus 32 bytes. */
const pacedBytes = entries * (entryBytes + 32);

/**
 * Simulated ms a restarted follower takes to apply what it missed, every
 * entry coming from the leader's log (no cache, no snapshots), read ahead.
 */
async function catchUp(catchUpMaxBytesPerSecond: number): Promise<{ ms: number; pacedBytes: number }> {
  const c = TestCluster.of([1, 2, 3], { readAheadMaxMs: 1, node: { catchUpMaxBytesPerSecond, logCacheBytes: 0, snapshotEntries: 0, snapshotLogBytes: 0 } });
  cluster = c;
  await c.startAll();
  const leader = await c.waitForLeader();
  const lagging = leader.id === 3 ? 2 : 3;
  await c.crash(lagging);
  await c.settle(Promise.all(Array.from({ length: entries }, () => leader.propose(new Uint8Array(entryBytes)))), 30_000);
  const target = leader.status().commit;
  const started = c.clock.now();
  await c.start(lagging);
  await c.waitApplied(target, [lagging], 60_000);
  const ms = c.clock.now() - started;
  const stats = leader.status().catchUp;
  // What it missed was handed out from what the leader read ahead, counted as paced: the leader's
  // no-op and the proposals, but for the newest, which may come from the leader's memory.
  expect(stats.entries).toBeGreaterThanOrEqual(entries);
  expect(stats.bytes).toBeGreaterThanOrEqual(pacedBytes - entryBytes);
  expect(stats.pacedMs > 0).toBe(catchUpMaxBytesPerSecond > 0);
  return { ms, pacedBytes: stats.bytes };
}

describe("catch-up pacing", () => {
  it("hands a lagging follower the leader's older entries no faster than catchUpMaxBytesPerSecond, after a second's worth at once", async () => {
    const rate = 100_000;
    const paced = await catchUp(rate);
    // A second's worth goes at once; the rest at the rate.
    const floorMs = ((paced.pacedBytes - rate) / rate) * 1000;
    expect(paced.ms).toBeGreaterThanOrEqual(floorMs);
    expect(paced.ms).toBeLessThan(floorMs + 1_000);
    await cluster?.stopAll();
    const unpaced = await catchUp(0);
    expect(unpaced.ms).toBeLessThan(1_000);
  });
});
