import { afterEach, describe, expect, it } from "vitest";
import type { LogStore, LogWrite } from "../../src/contracts/index.js";
import { Index, Prng, Term, type Entry } from "../../src/engine/index.js";
import { LogWriter } from "../../src/runtime/storage/log-writer.js";
import { MemoryLog, SimLogStore, TestCluster, type SimStateMachine } from "../../src/testing/index.js";
import { bytes } from "../support/bytes.js";

// `LogWrite.awaited` tells a store that a peer waits for the write (an
// acknowledgement or a vote is held until it is durable), so it may take its
// faster path for it.

const entry = (i: number): Entry => ({ index: Index.of(i), term: Term.of(1), kind: "normal", data: new Uint8Array(4) });

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A store whose saves complete when the test says so. */
function controlledStore() {
  const saves: { write: LogWrite; finish(): void }[] = [];
  const store = {
    save: (write: LogWrite) => new Promise<void>((resolve) => saves.push({ write, finish: resolve })),
    compact: async () => {},
  } as unknown as LogStore;
  return { store, saves };
}

describe("awaited writes", () => {
  it("LogWriter marks a storage call awaited when any write it gathers is", async () => {
    const { store, saves } = controlledStore();
    const writer = new LogWriter(store, { maxEntries: 100, maxBytes: 1 << 20 }, (error) => {
      throw error;
    });
    writer.save({ entries: [entry(1)] }, () => {});
    writer.save({ entries: [entry(2)] }, () => {}, true);
    writer.save({ entries: [entry(3)] }, () => {});
    expect(saves.map((s) => [s.write.entries.map((e) => e.index), s.write.awaited === true])).toEqual([[[1], false]]);
    saves[0]?.finish();
    await turn();
    expect(saves.map((s) => [s.write.entries.map((e) => e.index), s.write.awaited === true])).toEqual([
      [[1], false],
      [[2, 3], true],
    ]);
    saves[1]?.finish();
    await turn();
    writer.save({ entries: [entry(4)] }, () => {}, true);
    expect(saves[2]?.write).toMatchObject({ entries: [entry(4)], awaited: true });
  });

  describe("in a cluster", () => {
    let cluster: TestCluster<Index, SimStateMachine>;
    afterEach(async () => {
      await cluster?.stopAll();
    });

    it("followers' appends are awaited (their acknowledgements wait), the leader's own are not (its appends are already out)", async () => {
      const saves: { node: number; awaited: boolean; entries: number }[] = [];
      class RecordingLog extends SimLogStore {
        constructor(private readonly node: number) {
          super(new MemoryLog(), cluster.clock, new Prng(node));
        }
        override save(write: LogWrite): Promise<void> {
          saves.push({ node: this.node, awaited: write.awaited === true, entries: write.entries.length });
          return super.save(write);
        }
      }
      cluster = TestCluster.of([1, 2, 3], { log: (id) => new RecordingLog(id) });
      await cluster.startAll();
      const leader = await cluster.waitForLeader();
      await cluster.run(50);
      saves.length = 0;
      for (let i = 0; i < 5; i++) await cluster.settle(leader.propose(bytes(`w${i}`)));
      await cluster.run(100);
      const appends = saves.filter((s) => s.entries > 0);
      const byLeader = appends.filter((s) => s.node === leader.id);
      const byFollowers = appends.filter((s) => s.node !== leader.id);
      expect(byLeader.length).toBeGreaterThan(0);
      expect(byFollowers.length).toBeGreaterThan(0);
      expect(byLeader.every((s) => !s.awaited)).toBe(true);
      expect(byFollowers.every((s) => s.awaited)).toBe(true);
    });
  });
});
