import { describe, expect, it } from "vitest";
import type { Message } from "../../src/engine/index.js";
import { InMemoryNetwork, SimClock } from "../../src/testing/index.js";
import { Index, NodeId, Term } from "../../src/engine/index.js";

const hb = (from: number, to: number, round: number): Message => ({ type: "Heartbeat", from: NodeId.of(from), to: NodeId.of(to), term: Term.of(1), commit: Index.zero, round });

async function wire(network: InMemoryNetwork, ids: number[]) {
  const inbox = new Map<number, number[]>();
  for (const id of ids) {
    inbox.set(id, []);
    await network.transport(NodeId.of(id)).start({
      onMessage: (m) => inbox.get(id)?.push(m.type === "Heartbeat" ? m.round : -1),
      onSnapshotRequest: () => {
        throw new Error("no snapshots here");
      },
    });
  }
  return inbox;
}

describe("InMemoryNetwork", () => {
  it("delivers in order in the next turn without a clock", async () => {
    const network = new InMemoryNetwork();
    const inbox = await wire(network, [1, 2]);
    network.transport(NodeId.of(1)).send([hb(1, 2, 1), hb(1, 2, 2)]);
    expect(inbox.get(2)).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(inbox.get(2)).toEqual([1, 2]);
  });

  it("keeps delivering to a restarted node when its crashed incarnation finishes closing later", async () => {
    const network = new InMemoryNetwork();
    const crashed = network.transport(NodeId.of(2));
    const handlers = (inbox: number[]) => ({
      onMessage: (m: Message) => inbox.push(m.type === "Heartbeat" ? m.round : -1),
      onSnapshotRequest: () => {
        throw new Error("no snapshots here");
      },
    });
    await crashed.start(handlers([]));
    const received: number[] = [];
    await network.transport(NodeId.of(2)).start(handlers(received));
    await crashed.close();
    network.transport(NodeId.of(1)).send([hb(1, 2, 7)]);
    await new Promise((r) => setImmediate(r));
    expect(received).toEqual([7]);
  });

  it("cuts links one way and heals them", async () => {
    const clock = new SimClock();
    const network = new InMemoryNetwork({ clock });
    const inbox = await wire(network, [1, 2]);
    network.cut(NodeId.of(1), NodeId.of(2));
    network.transport(NodeId.of(1)).send([hb(1, 2, 1)]);
    network.transport(NodeId.of(2)).send([hb(2, 1, 2)]);
    clock.advanceTo(10);
    expect([inbox.get(1), inbox.get(2)]).toEqual([[2], []]);
    network.heal();
    network.transport(NodeId.of(1)).send([hb(1, 2, 3)]);
    clock.advanceTo(20);
    expect(inbox.get(2)).toEqual([3]);
  });

  it("partitions groups both ways and loses messages in flight when a link is cut", async () => {
    const clock = new SimClock();
    const network = new InMemoryNetwork({ clock });
    network.faults = { drop: 0, duplicate: 0, delay: [5, 5] };
    const inbox = await wire(network, [1, 2, 3]);
    network.transport(NodeId.of(1)).send([hb(1, 3, 1)]);
    network.partition([NodeId.of(1), NodeId.of(2)], [NodeId.of(3)]);
    network.transport(NodeId.of(1)).send([hb(1, 2, 2)]);
    network.transport(NodeId.of(3)).send([hb(3, 2, 3)]);
    clock.advanceTo(10);
    expect([inbox.get(2), inbox.get(3)]).toEqual([[2], []]);
    expect(network.stats.dropped).toBe(2);
  });

  it("drops, duplicates and reorders with the configured probabilities, deterministically per seed", async () => {
    const run = async (seed: number) => {
      const clock = new SimClock();
      const network = new InMemoryNetwork({ clock, seed });
      network.faults = { drop: 0.2, duplicate: 0.2, delay: [0, 20] };
      const inbox = await wire(network, [1, 2]);
      network.transport(NodeId.of(1)).send(Array.from({ length: 500 }, (_, i) => hb(1, 2, i)));
      clock.advanceTo(100);
      return { got: inbox.get(2) as number[], stats: { ...network.stats } };
    };
    const a = await run(7);
    expect(a).toEqual(await run(7));
    expect(a.stats.dropped).toBeGreaterThan(50);
    expect(a.stats.duplicated).toBeGreaterThan(50);
    const sorted = [...a.got].sort((x, y) => x - y);
    expect(a.got).not.toEqual(sorted); // reordered
    expect(new Set(a.got).size).toBeLessThan(a.got.length); // duplicated
  });
});
