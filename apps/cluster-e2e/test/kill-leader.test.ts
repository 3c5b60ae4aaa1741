import { afterEach, describe, expect, it, vi } from "vitest";
import { ProcessCluster } from "./support/process-cluster.js";

// Real sockets and processes: on a busy 2-core machine this takes minutes, not seconds.
vi.setConfig({ testTimeout: 240_000 });

// Three node processes on 127.0.0.1 per transport, with the SQLite log and
// disk snapshots: SIGKILL the leader, keep committing, restart it, and check
// it catches up to the same state.
describe.each(["grpc", "ws"] as const)("three node processes over %s", (transport) => {
  let cluster: ProcessCluster | undefined;
  afterEach(async () => {
    await cluster?.dispose();
    cluster = undefined;
  });

  it("elects a new leader after the leader is SIGKILLed, keeps committing, and the restarted node catches up", async () => {
    cluster = new ProcessCluster([1, 2, 3], transport, "sqlite");
    const c = cluster;
    for (const id of c.ids) await c.start(id);
    const first = await c.waitForLeader();

    const acknowledged: string[] = [];
    for (let i = 0; i < 300; i++) {
      await c.propose(`before-${i}`);
      acknowledged.push(`before-${i}`);
    }

    await c.kill(first);
    const second = await c.waitForLeader();
    expect(second).not.toBe(first);
    for (let i = 0; i < 300; i++) {
      await c.propose(`after-${i}`);
      acknowledged.push(`after-${i}`);
    }

    await c.start(first);
    const leaderStatus = await c.node(second).request("status");
    await c.waitFor(`node ${first} to catch up`, async () => (await c.node(first).request("status")).applied >= leaderStatus.commit);
    // One more write proves the restarted node follows the new leader's log, not just its own.
    await c.propose("last");
    acknowledged.push("last");
    await c.waitFor("equal states", async () => new Set((await c.statuses()).map((s) => s.fingerprint)).size === 1);

    const values = new Set(await c.node(first).request("values"));
    expect(acknowledged.filter((v) => !values.has(v))).toEqual([]);
    const statuses = await c.statuses();
    expect(new Set(statuses.map((s) => s.leader))).toEqual(new Set([second]));
    // Every write is committed everywhere (601 values plus one no-op per term).
    expect(statuses.every((s) => s.commit > 600)).toBe(true);
  });
});
