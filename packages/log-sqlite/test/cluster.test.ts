import { join } from "node:path";
import type { Index, LogStore } from "@raft/core/contracts";
import { RaftNode } from "@raft/core/runtime";
import { drainMicrotasks, incarnationOf, InMemoryNetwork, MemorySnapshotStore, SimClock, SimStateMachine } from "@raft/core/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { SqliteLogStore } from "../src/index.js";
import { checkBuilt } from "./built.js";
import { removeTempDirsAfterEach, tempDir, text } from "./support.js";
import { NodeId } from "@raft/core/contracts";

// The runtime on the SQLite log: three RaftNodes in this process on a
// simulated clock and network, each with its own log file. Stopping a node
// closes its log; starting it again opens the same file. Snapshots live in
// memory stores that outlive the nodes, as a disk would. The stores write in
// their writer threads, in real time: simulated time stands still while any
// write is in flight, so the disks look instant to the simulated cluster.

removeTempDirsAfterEach();
beforeAll(() => checkBuilt("cluster.test.ts"));

/** `log`, with every write it has in flight in `pending` until it settles. */
function tracked(log: SqliteLogStore, pending: Set<Promise<unknown>>): LogStore {
  const track = (p: Promise<void>): Promise<void> => {
    pending.add(p);
    const forget = () => void pending.delete(p);
    p.then(forget, forget);
    return p;
  };
  return {
    firstIndex: () => log.firstIndex(),
    lastIndex: () => log.lastIndex(),
    term: (index) => log.term(index),
    entries: (lo, hi, maxBytes) => log.entries(lo, hi, maxBytes),
    loadHardState: () => log.loadHardState(),
    save: (write) => track(log.save(write)),
    compact: (index) => track(log.compact(index)),
    close: () => track(log.close()),
  };
}

class SqliteCluster {
  readonly clock = new SimClock();
  readonly network = new InMemoryNetwork({ clock: this.clock, seed: 5 });
  readonly nodes = new Map<NodeId, RaftNode<Index>>();
  readonly machines = new Map<NodeId, SimStateMachine>();
  private readonly snapshots = new Map<NodeId, MemorySnapshotStore>();
  /** Every store write in flight, of all nodes. */
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    readonly dir: string,
    readonly ids: readonly NodeId[],
  ) {}

  path(id: NodeId): string {
    return join(this.dir, `node-${id}.db`);
  }

  async start(id: NodeId): Promise<RaftNode<Index>> {
    const log = tracked(await SqliteLogStore.open({ path: this.path(id) }), this.writes);
    const snapshots = this.snapshots.get(id) ?? new MemorySnapshotStore({ now: () => this.clock.now() });
    this.snapshots.set(id, snapshots);
    const machine = new SimStateMachine();
    // Small snapshot thresholds, so the logs get compacted and restarts replay from a snapshot plus the log after it.
    const node = new RaftNode<Index>({
      id,
      voters: this.ids,
      tickMs: 10,
      seed: id,
      snapshotEntries: 8,
      keepTrailing: 2,
      log,
      snapshots: incarnationOf(snapshots),
      stateMachine: machine,
      transport: this.network.transport(id),
      clock: this.clock,
    });
    this.nodes.set(id, node);
    this.machines.set(id, machine);
    await node.start();
    return node;
  }

  async stop(id: NodeId): Promise<void> {
    await this.nodes.get(id)?.stop();
    this.nodes.delete(id);
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.nodes.keys()]) await this.stop(id);
  }

  /** Runs simulated time until `done` holds, failing after `ms` simulated ms. */
  async until(done: () => boolean, ms = 10_000): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await this.writesSettled();
      if (done()) return;
      if (!this.clock.fireNext(end)) throw new Error(`condition not met within ${ms} simulated ms`);
      await drainMicrotasks();
    }
  }

  /** Waits, in real time, until no store has a write in flight, including those the settled ones set off. */
  private async writesSettled(): Promise<void> {
    while (this.writes.size > 0) {
      await Promise.allSettled([...this.writes]);
      await drainMicrotasks();
    }
  }

  async settle<T>(p: Promise<T>): Promise<T> {
    let settled = false;
    const tracked = p.finally(() => (settled = true));
    tracked.catch(() => {});
    await this.until(() => settled);
    return tracked;
  }

  leader(): RaftNode<Index> | undefined {
    return [...this.nodes.values()].find((n) => n.status().role === "leader");
  }

  async waitForLeader(): Promise<RaftNode<Index>> {
    await this.until(() => this.leader() !== undefined);
    return this.leader() as RaftNode<Index>;
  }

  async propose(values: readonly string[]): Promise<void> {
    for (const v of values) await this.settle((await this.waitForLeader()).propose(text(v)));
  }

  /** Waits until every running node has applied exactly `values`. */
  async allApplied(values: readonly string[]): Promise<void> {
    await this.until(() => [...this.nodes.keys()].every((id) => this.machines.get(id)?.values.length === values.length));
    for (const id of this.nodes.keys()) expect(this.machines.get(id)?.values, `node ${id}`).toEqual(values);
  }
}

const commands = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

let cluster: SqliteCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

describe("three RaftNodes on SqliteLogStore", () => {
  it("restart from their files with term, vote, commit and log kept, and go on", async () => {
    const c = (cluster = new SqliteCluster(await tempDir(), [NodeId.of(1), NodeId.of(2), NodeId.of(3)]));
    for (const id of c.ids) await c.start(id);
    const first = commands("a", 30);
    await c.propose(first);
    await c.allApplied(first);
    const before = new Map(c.ids.map((id) => [id, c.nodes.get(id)?.status()]));
    await c.stopAll();

    // What the files hold on their own, with no node running.
    for (const id of c.ids) {
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

    for (const id of c.ids) await c.start(id);
    await c.allApplied(first);
    for (const id of c.ids) expect(c.nodes.get(id)?.status().term, `node ${id}`).toBeGreaterThanOrEqual(before.get(id)?.term ?? Infinity);
    const second = commands("b", 10);
    await c.propose(second);
    await c.allApplied([...first, ...second]);
  });

  it("bring a stopped leader back from its file: it catches up with what was committed without it", async () => {
    const c = (cluster = new SqliteCluster(await tempDir(), [NodeId.of(1), NodeId.of(2), NodeId.of(3)]));
    for (const id of c.ids) await c.start(id);
    const first = commands("a", 5);
    await c.propose(first);
    await c.allApplied(first);
    const old = (await c.waitForLeader()).id;
    const oldTerm = c.nodes.get(old)?.status().term ?? 0;
    await c.stop(old);

    const second = commands("b", 20);
    await c.propose(second);
    const newLeader = await c.waitForLeader();
    expect(newLeader.id).not.toBe(old);
    expect(newLeader.status().term).toBeGreaterThan(oldTerm);

    const back = await c.start(old);
    expect(back.status().term, "the restarted node starts from its saved term").toBeGreaterThanOrEqual(oldTerm);
    await c.allApplied([...first, ...second]);
  });
});
