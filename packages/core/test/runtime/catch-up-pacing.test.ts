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
async function catchUpMs(catchUpMaxBytesPerSecond: number): Promise<number> {
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
  const { catchUp } = leader.status();
  // Every missed entry came from what the leader read ahead, counted as paced.
  expect(catchUp.entries).toBeGreaterThanOrEqual(entries);
  expect(catchUp.bytes).toBeGreaterThanOrEqual(pacedBytes);
  expect(catchUp.pacedMs > 0).toBe(catchUpMaxBytesPerSecond > 0);
  return ms;
}

describe("catch-up pacing", () => {
  it("hands a lagging follower the leader's older entries no faster than catchUpMaxBytesPerSecond, after a second's worth at once", async () => {
    const rate = 100_000;
    const paced = await catchUpMs(rate);
    // A second's worth goes at once; the rest at the rate.
    const floorMs = ((pacedBytes - rate) / rate) * 1000;
    expect(paced).toBeGreaterThanOrEqual(floorMs);
    expect(paced).toBeLessThan(floorMs + 1_000);
    await cluster?.stopAll();
    const unpaced = await catchUpMs(0);
    expect(unpaced).toBeLessThan(1_000);
  });
});
