import { describe, expect, it } from "vitest";
import { manifestDigest, silentLogger, snapshotId, type StateMachine } from "../../src/contracts/index.js";
import type { RaftEngine, SnapshotMeta } from "../../src/engine/index.js";
import { SnapshotManager } from "../../src/runtime/snapshots/snapshot-manager.js";
import { drainMicrotasks, InMemoryNetwork, MemorySnapshotStore, SimClock } from "../../src/testing/index.js";
import { createHash } from "node:crypto";
import { Index, NodeId, Term } from "../../src/engine/index.js";

// On one node, taking and installing never overlap: an install aborts a take in progress.

function inlineSnapshot(index: number, data: Uint8Array): SnapshotMeta {
  const files = [{ name: "state", size: data.length, sha256: createHash("sha256").update(data).digest("hex") }];
  const sha256 = manifestDigest(files);
  return {
    id: snapshotId(index, 1, sha256),
    index: Index.of(index),
    term: Term.of(1),
    membership: { voters: [NodeId.of(1), NodeId.of(2)], learners: [] },
    files,
    size: data.length,
    sha256,
    createdAt: 0,
  };
}

describe("snapshot exclusion", () => {
  it("an install aborts a take in progress, and the state machine is restored, not snapshotted", async () => {
    const clock = new SimClock();
    const events: string[] = [];
    let restoring = false;
    let streamingTake = false;
    const sm: StateMachine<number> = {
      apply: () => [],
      snapshot: () => ({
        files: [
          {
            name: "state",
            async *chunks() {
              streamingTake = true;
              for (let i = 0; i < 100; i++) {
                expect(restoring).toBe(false);
                await new Promise<void>((r) => clock.setTimeout(r, 10));
                yield new Uint8Array(100);
              }
            },
          },
        ],
        release: () => events.push("take released"),
      }),
      restore: async () => {
        restoring = true;
        events.push("restore");
        restoring = false;
      },
    };
    const engine = {
      termAt: () => 1,
      membership: () => ({ voters: [1, 2], learners: [] }),
      snapshotTaken: () => events.push("engine: taken"),
      snapshotInstalled: (m: SnapshotMeta) => events.push(`engine: installed ${m.index}`),
      snapshotFailed: () => events.push("engine: failed"),
    } as unknown as RaftEngine;
    const store = new MemorySnapshotStore();
    const manager = new SnapshotManager<number>({
      store,
      stateMachine: sm,
      transport: new InMemoryNetwork().transport(1),
      clock,
      logger: silentLogger,
      settings: { snapshotEntries: 0, snapshotLogBytes: 0, keepSnapshots: 2, chunkBytes: 1024, inlineBytes: 0, maxBytesPerSecond: 0, maxConcurrentSends: 1, progressTimeoutMs: 1000, maxAttempts: 1 },
      onTransfer: () => {},
      engine: () => engine,
      kick: () => {},
      onEvent: (e) => events.push(`event: ${e.kind}`),
    });
    const take = manager.requestTake();
    take.catch(() => {});
    await manager.takeIfRequested(Index.of(5));
    for (let i = 0; i < 5; i++) {
      clock.fireNext();
      await drainMicrotasks();
    }
    expect(streamingTake).toBe(true);
    const data = new TextEncoder().encode("restored state");
    manager.install({ meta: inlineSnapshot(9, data), from: NodeId.of(2), source: { kind: "peer" }, inline: [{ name: "state", data }] });
    for (let i = 0; i < 20; i++) {
      clock.fireNext();
      await drainMicrotasks();
    }
    await expect(take).rejects.toMatchObject({ code: "Aborted" });
    expect(events).toEqual(["take released", "restore", "engine: installed 9", "event: installed"]);
    expect((await store.list()).map((m) => m.index)).toEqual([9]);
  });
});
