import { describe, expect, it } from "vitest";
import type { Clock, Logger } from "../../src/contracts/index.js";
import { Prng, type Index } from "../../src/engine/index.js";
import { RaftNode } from "../../src/runtime/index.js";
import { drainMicrotasks, InMemoryNetwork, MemoryLog, MemorySnapshotStore, SimClock, SimLogStore, SimStateMachine } from "../../src/testing/index.js";

describe("slow loop turns", () => {
  it("warns, naming what the loop was doing, when one Ready holds the loop past slowTurnWarnMs", async () => {
    const sim = new SimClock();
    // Time as the node reads it: the state machine below "spends" 250 ms applying one command.
    let extra = 0;
    const clock: Clock = { now: () => sim.now() + extra, setTimeout: (fn, ms) => sim.setTimeout(fn, ms) };
    const warnings: Record<string, unknown>[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (message, fields) => warnings.push({ message, ...fields }) };
    const sm = new SimStateMachine((_, value) => {
      if (value === "slow") extra += 250;
    });
    const node = new RaftNode<Index>({
      id: 1,
      voters: [1],
      tickMs: 10,
      seed: 1,
      slowTurnWarnMs: 200,
      log: new SimLogStore(new MemoryLog(), sim, new Prng(1)),
      snapshots: new MemorySnapshotStore(),
      stateMachine: sm,
      transport: new InMemoryNetwork({ clock: sim }).transport(1),
      clock,
      logger,
    });
    await node.start();
    const run = async (until: () => boolean) => {
      for (let i = 0; i < 1000 && !until(); i++) {
        sim.fireNext();
        await drainMicrotasks();
      }
    };
    node.campaign();
    await run(() => node.status().role === "leader");
    let done = false;
    void node.propose(new TextEncoder().encode("fast")).then(() => (done = true));
    await run(() => done);
    expect(warnings).toEqual([]);
    done = false;
    void node.propose(new TextEncoder().encode("slow")).then(() => (done = true));
    await run(() => done);
    expect(warnings).toEqual([expect.objectContaining({ message: "raft loop turn was slow", id: 1, ms: 250, limitMs: 200, doing: expect.stringContaining("applying 1 entries") })]);
    await node.stop();
  });
});
