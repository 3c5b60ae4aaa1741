import { join } from "node:path";
import type { Index } from "@raft/core/contracts";
import { TestCluster, type SimStateMachine } from "@raft/core/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { SqliteLogStore } from "../src/index.js";
import { checkBuilt } from "./built.js";
import { removeTempDirsAfterEach, tempDir, text } from "./support.js";

// The runtime on the SQLite log: three RaftNodes in this process (the testing
// kit's TestCluster, on real time and an in-memory network), each with its own
// log file. Stopping a node closes its log; starting it again opens the same
// file. Snapshots live in memory stores that outlive the nodes, as a disk would.

removeTempDirsAfterEach();
beforeAll(() => checkBuilt("cluster.test.ts"));

/** Three RaftNodes on real time and an in-memory network, each on its own SQLite file; memory snapshot stores outlive the nodes. */
function sqliteCluster(dir: string): TestCluster<Index, SimStateMachine> & { path(id: number): string } {
  const path = (id: number) => join(dir, `node-${id}.db`);
  const cluster = TestCluster.of([1, 2, 3], {
    time: "real",
    // Small snapshot thresholds, so the logs get compacted and restarts replay from a snapshot plus the log after it.
    node: { snapshotEntries: 8, keepTrailing: 2 },
    log: (id) => SqliteLogStore.open({ path: path(id) }),
  });
  return Object.assign(cluster, { path });
}

/** The nodes that run now. */
const running = (c: TestCluster<Index, SimStateMachine>) => [...c.nodes.entries()].filter(([, n]) => !n.status().stopped).map(([id]) => id);

async function propose(c: TestCluster<Index, SimStateMachine>, values: readonly string[]): Promise<void> {
  for (const v of values) await c.propose(text(v));
}

/** Waits until every running node has applied exactly `values`. */
async function allApplied(c: TestCluster<Index, SimStateMachine>, values: readonly string[]): Promise<void> {
  await c.until(() => running(c).every((id) => c.machine(id).values.length === values.length), 20_000, `every node to apply ${values.length} values`);
  for (const id of running(c)) expect(c.machine(id).values, `node ${id}`).toEqual(values);
}

const commands = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

let cluster: (TestCluster<Index, SimStateMachine> & { path(id: number): string }) | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

describe("three RaftNodes on SqliteLogStore", () => {
  it("restart from their files with term, vote, commit and log kept, and go on", async () => {
    const c = (cluster = sqliteCluster(await tempDir()));
    await c.startAll();
    const first = commands("a", 30);
    await propose(c, first);
    await allApplied(c, first);
    const before = new Map(c.voters.map((id) => [id, c.nodes.get(id)?.status()]));
    await c.stopAll();

    // What the files hold on their own, with no node running.
    for (const id of c.voters) {
      const log = await SqliteLogStore.open({ path: c.path(id) });
      try {
        const was = before.get(id);
        const hard = await log.loadHardState();
        expect({ term: hard.term, vote: hard.vote }, `node ${id}`).toEqual({ term: was?.term, vote: was?.vote });
        // A change of the commit index alone is never written: the file's may lag the node's, never lead it.
        expect(hard.commit, `node ${id}`).toBeGreaterThan(0);
        expect(hard.commit, `node ${id}`).toBeLessThanOrEqual(was?.commit ?? 0);
        expect(log.lastIndex(), `node ${id}`).toBe(was?.lastIndex);
        expect(log.firstIndex(), `node ${id}: compacted after snapshots`).toBeGreaterThan(1);
        expect(log.firstIndex(), `node ${id}`).toBe(was?.firstIndex);
      } finally {
        await log.close();
      }
    }

    await c.startAll();
    await allApplied(c, first);
    for (const id of c.voters) expect(c.nodes.get(id)?.status().term, `node ${id}`).toBeGreaterThanOrEqual(before.get(id)?.term ?? Infinity);
    const second = commands("b", 10);
    await propose(c, second);
    await allApplied(c, [...first, ...second]);
  });

  it("bring a stopped leader back from its file: it catches up with what was committed without it", async () => {
    const c = (cluster = sqliteCluster(await tempDir()));
    await c.startAll();
    const first = commands("a", 5);
    await propose(c, first);
    await allApplied(c, first);
    const old = (await c.waitForLeader()).id;
    const oldTerm = c.nodes.get(old)?.status().term ?? 0;
    await c.node(old).stop();
    // Its log is closed; its status is the one it had when it stopped.
    expect(c.node(old).status()).toMatchObject({ id: old, stopped: true, term: oldTerm });

    const second = commands("b", 20);
    await propose(c, second);
    const newLeader = await c.waitForLeader();
    expect(newLeader.id).not.toBe(old);
    expect(newLeader.status().term).toBeGreaterThan(oldTerm);

    const back = await c.start(old);
    expect(back.status().term, "the restarted node starts from its saved term").toBeGreaterThanOrEqual(oldTerm);
    await allApplied(c, [...first, ...second]);
  });
});
