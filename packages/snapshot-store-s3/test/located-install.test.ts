import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Index, SnapshotMeta } from "@raft/core/contracts";
import { Prng } from "@raft/core/testing";
import {
  consoleLogger,
  decodeMessages,
  encodeMessages,
  NodeId,
  silentLogger,
  type Command,
  type SnapshotFileStream,
  type SnapshotStore,
  type StateMachine,
  type StateMachineSnapshot,
} from "@raft/core/contracts";
import { RaftNode, type FinishedTransfer } from "@raft/core/runtime";
import { InMemoryNetwork, MemoryLog, SimLogStore, SimStateMachine } from "@raft/core/testing";
import { systemClock } from "@raft/core/runtime";
import type { S3SnapshotStore } from "../src/index.js";
import { chunkOf } from "./fixtures/content.mjs";
import { MiB, S3Server, damage, freshPrefix, objectKey, openStore, otherCredentials } from "./support.js";

// A follower installing a snapshot straight from S3: an in-process cluster of
// real RaftNodes (in-memory network and log, real time) whose snapshot stores
// are S3SnapshotStores on s3rver. The leader offers `{ kind: "url" }`; the new
// learner reads the leader's objects by ranged GETs into its own prefix.

let server: S3Server;
beforeAll(async () => {
  server = await S3Server.start();
});
afterAll(async () => {
  await server?.stop();
});

/** Three files of fixed bytes in every snapshot, so an install can be cut off between two of them. */
const ballastFiles = ["ballast-0.bin", "ballast-1.bin", "ballast-2.bin"];
const ballastFileSize = MiB + 4321;
const ballastSize = ballastFiles.length * ballastFileSize;
const ballastChunks = (k: number) =>
  (function* () {
    for (let i = 0; i * MiB < ballastFileSize; i++) yield chunkOf(9 + k, i, ballastFileSize);
  })();
const ballastSha = ballastFiles.map((_, k) => {
  const h = createHash("sha256");
  for (const c of ballastChunks(k)) h.update(c);
  return h.digest("hex");
});

/**
 * The simulator's state machine plus 3 MiB of fixed bytes in every
 * snapshot, so installs are big. `restore` checks the ballast's bytes, so a
 * damaged one cannot be restored unnoticed.
 */
class BallastMachine implements StateMachine<Index> {
  readonly sim = new SimStateMachine();
  restoredBallast = 0;

  apply(commands: readonly Command[]): Index[] {
    return this.sim.apply(commands);
  }

  snapshot(): StateMachineSnapshot {
    const ballast = ballastFiles.map((name, k) => ({
      name,
      async *chunks() {
        yield* ballastChunks(k);
      },
    }));
    return { files: [...ballast, ...this.sim.snapshot().files] };
  }

  async restore(meta: SnapshotMeta, files: SnapshotFileStream): Promise<void> {
    const rest: { name: string; data: Uint8Array }[] = [];
    let ballast = 0;
    for await (const f of files) {
      const k = ballastFiles.indexOf(f.name);
      if (k >= 0) {
        const h = createHash("sha256");
        let n = 0;
        for await (const c of f.chunks) {
          h.update(c);
          n += c.length;
        }
        if (n !== ballastFileSize || h.digest("hex") !== ballastSha[k]) throw new Error(`restored a damaged ${f.name}`);
        ballast += n;
      } else {
        const parts: Uint8Array[] = [];
        for await (const c of f.chunks) parts.push(c);
        rest.push({ name: f.name, data: Buffer.concat(parts) });
      }
    }
    await this.sim.restore(
      meta,
      (async function* () {
        for (const r of rest)
          yield {
            name: r.name,
            chunks: (async function* () {
              yield r.data;
            })(),
          };
      })(),
    );
    this.restoredBallast = ballast;
  }
}

/** Passes every call through; `onLocatedBytes` sees the running total of bytes read through `openLocated`. */
function watched(store: S3SnapshotStore, onLocatedBytes: (total: number) => Promise<void>): SnapshotStore {
  let total = 0;
  return {
    create: (d) => store.create(d),
    receive: (m) => store.receive(m),
    latest: () => store.latest(),
    list: () => store.list(),
    get: (id) => store.get(id),
    open: (id, file, options) => store.open(id, file, options),
    verify: (id) => store.verify(id),
    pin: (id) => store.pin(id),
    prune: (keep) => store.prune(keep),
    locate: (id) => store.locate(id),
    canRead: (location) => store.canRead(location),
    openLocated: async (location) => {
      const located = await store.openLocated(location);
      return {
        meta: located.meta,
        open: (file, options) =>
          (async function* () {
            for await (const chunk of located.open(file, options)) {
              total += chunk.length;
              await onLocatedBytes(total);
              yield chunk;
            }
          })(),
      };
    },
    close: () => store.close(),
  };
}

const logger = process.env.RAFT_TEST_LOG === "1" ? consoleLogger() : silentLogger;

/** Three voters and a learner-to-be, each with its own S3 store; node 4 uses the second key pair. */
class S3Cluster {
  readonly network = new InMemoryNetwork();
  readonly nodes = new Map<NodeId, RaftNode<Index>>();
  readonly machines = new Map<NodeId, BallastMachine>();
  readonly stores = new Map<NodeId, S3SnapshotStore>();
  readonly prefixes = new Map<NodeId, string>();

  async start(id: NodeId, prefix: string, options: { wrap?: (s: S3SnapshotStore) => SnapshotStore } = {}): Promise<RaftNode<Index>> {
    const store = await openStore(server, prefix, { owner: `node-${id}`, retryBaseMs: 5, retryMaxMs: 50, maxAttempts: 3, ...(id === 4 ? { credentials: otherCredentials } : {}) });
    this.stores.set(id, store);
    this.prefixes.set(id, prefix);
    const machine = new BallastMachine();
    this.machines.set(id, machine);
    const node = new RaftNode<Index>({
      id,
      voters: [1, 2, 3],
      join: id > 3,
      tickMs: 20,
      electionTicks: 10,
      seed: id,
      snapshotEntries: 0,
      keepTrailing: 0,
      snapshotInlineBytes: 0,
      snapshotChunkBytes: 64 * 1024,
      snapshotMaxAttempts: 2,
      log: new SimLogStore(new MemoryLog(), systemClock, new Prng(id), 1),
      snapshots: options.wrap?.(store) ?? store,
      stateMachine: machine,
      transport: this.network.transport(id),
      logger,
    });
    this.nodes.set(id, node);
    await node.start();
    return node;
  }

  node(id: NodeId): RaftNode<Index> {
    return this.nodes.get(id) as RaftNode<Index>;
  }

  leader(): RaftNode<Index> | undefined {
    return [...this.nodes.values()].find((n) => n.status().role === "leader");
  }

  async stop(): Promise<void> {
    for (const n of this.nodes.values()) await n.stop().catch(() => {});
    for (const s of this.stores.values()) await s.close().catch(() => {});
  }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let cluster: S3Cluster;
afterEach(async () => {
  await cluster?.stop();
  await server.heal();
});

/**
 * Voters 1–3 under their own prefixes (or one shared prefix); node 4 starts
 * empty; the leader writes, snapshots (about 3 MiB, the log compacted) and
 * adds node 4 as a learner, which must install the snapshot.
 */
async function learnerAfterSnapshot(prefixOf: (id: NodeId) => string, wrap4?: (s: S3SnapshotStore) => SnapshotStore) {
  cluster = new S3Cluster();
  for (const id of [1, 2, 3]) await cluster.start(NodeId.of(id), prefixOf(NodeId.of(id)));
  const joiner = await cluster.start(NodeId.of(4), prefixOf(NodeId.of(4)), { wrap: wrap4 });
  await until("a leader", () => cluster.leader() !== undefined);
  const leader = cluster.leader() as RaftNode<Index>;
  await Promise.all(Array.from({ length: 50 }, (_, i) => leader.propose(new TextEncoder().encode(`v${i}`))));
  const meta = await leader.takeSnapshot();
  expect(meta.size).toBeGreaterThan(ballastSize);
  const transfers: FinishedTransfer[] = [];
  joiner.on("transfer", (t) => transfers.push(t));
  leader.on("transfer", (t) => transfers.push(t));
  await leader.addLearner(4);
  return { leader, joiner, meta, transfers };
}

function expectCaughtUp(leader: RaftNode<Index>): Promise<void> {
  return until("node 4 to apply what the leader applied", () => cluster.node(NodeId.of(4)).status().applied >= leader.status().applied).then(() => {
    expect(cluster.machines.get(NodeId.of(4))?.sim.values).toEqual(cluster.machines.get(leader.id)?.sim.values);
  });
}

describe("followers installing from S3", () => {
  it("a new learner reads the snapshot from S3 while the leader serves zero bytes", async () => {
    const run = freshPrefix("direct");
    const { leader, joiner, meta, transfers } = await learnerAfterSnapshot((id) => `${run}node-${id}/`);
    await until("node 4 to install", () => joiner.status().snapshots.installed === 1);
    expect(leader.status().snapshots.bytesSent).toBe(0);
    expect(cluster.network.stats.snapshotBytes).toBe(0);
    expect(joiner.status().snapshots).toMatchObject({ installed: 1, bytesReceived: meta.size, urlBytesReceived: meta.size, urlFallbacks: 0, checksumFailures: 0 });
    expect(transfers).toEqual([expect.objectContaining({ peer: leader.id, direction: "receive", source: "url", id: meta.id, bytesDone: meta.size, ok: true })]);
    expect(cluster.machines.get(NodeId.of(4))?.restoredBallast).toBe(ballastSize);
    // The follower's copy is its own, under its prefix, and verifies.
    await cluster.stores.get(NodeId.of(4))?.verify(meta.id);
    expect(await cluster.stores.get(NodeId.of(4))?.locate(meta.id)).toContain(`${run}node-4/snapshots/`);
    await expectCaughtUp(leader);
    // What the leader offered survives the binary wire codec of network transports.
    const url = (await cluster.stores.get(leader.id)?.locate(meta.id)) as string;
    const offer = { type: "InstallSnapshot" as const, from: leader.id, to: NodeId.of(4), term: leader.status().term, snapshot: meta, source: { kind: "url" as const, url } };
    expect(decodeMessages(encodeMessages([offer]))).toEqual([offer]);
  });

  it("S3 cut off from the follower mid-install: it falls back to the leader, which sends only the rest", async () => {
    const run = freshPrefix("cut");
    const leaderPrefix = (id: NodeId) => `${run}node-${id}/`;
    let cut = false;
    const { leader, joiner, meta, transfers } = await learnerAfterSnapshot(leaderPrefix, (store) =>
      watched(store, async (total) => {
        // At the end of the first file: the next one's GET finds S3 out of reach.
        if (cut || total < ballastFileSize) return;
        cut = true;
        // Every voter's prefix: whoever leads, node 4 can no longer reach its objects.
        for (const id of [1, 2, 3]) await server.cut(otherCredentials.accessKeyId, leaderPrefix(NodeId.of(id)));
      }),
    );
    await until("node 4 to install", () => joiner.status().snapshots.installed === 1, 30_000);
    expect(cut).toBe(true);
    const s = joiner.status().snapshots;
    expect(s.urlFallbacks).toBe(1);
    expect(s.urlBytesReceived).toBeGreaterThanOrEqual(ballastFileSize);
    expect(s.urlBytesReceived).toBeLessThan(meta.size);
    // The leader continued from the follower's durable offset (flushed before falling back).
    expect(leader.status().snapshots.bytesSent).toBe(meta.size - s.urlBytesReceived);
    expect(s.bytesReceived).toBe(meta.size);
    expect(transfers.filter((t) => t.direction === "receive")).toEqual([expect.objectContaining({ source: "peer", ok: true, bytesDone: meta.size })]);
    expect(cluster.machines.get(NodeId.of(4))?.restoredBallast).toBe(ballastSize);
    await cluster.stores.get(NodeId.of(4))?.verify(meta.id);
    await expectCaughtUp(leader);
  });

  it("a corrupted object in the bucket is detected and never installed, from S3 or from the leader", async () => {
    const run = freshPrefix("rot");
    const prefixOf = (id: NodeId) => `${run}node-${id}/`;
    cluster = new S3Cluster();
    for (const id of [1, 2, 3]) await cluster.start(NodeId.of(id), prefixOf(NodeId.of(id)));
    const joiner = await cluster.start(NodeId.of(4), prefixOf(NodeId.of(4)));
    await until("a leader", () => cluster.leader() !== undefined);
    const leader = cluster.leader() as RaftNode<Index>;
    await Promise.all(Array.from({ length: 20 }, (_, i) => leader.propose(new TextEncoder().encode(`v${i}`))));
    const meta = await leader.takeSnapshot();
    // Same size, one byte flipped: only the SHA-256 can tell.
    await damage(server.client(), await objectKey(server.client(), prefixOf(leader.id), meta.id, ballastFiles[1] as string));
    await leader.addLearner(4);
    // One failure reading from S3, then the leader's (equally damaged) copy, tried snapshotMaxAttempts + 1 times.
    await until("the damage to be found from both sources", () => joiner.status().snapshots.checksumFailures >= 3, 30_000);
    const s = joiner.status().snapshots;
    expect(s.installed).toBe(0);
    expect(s.urlFallbacks).toBeGreaterThanOrEqual(1);
    expect(joiner.status().applied).toBe(0);
    expect(cluster.machines.get(NodeId.of(4))?.restoredBallast).toBe(0);
    expect(cluster.machines.get(NodeId.of(4))?.sim.values).toEqual([]);
    expect(await cluster.stores.get(NodeId.of(4))?.list()).toEqual([]);
  });

  it("a follower sharing the leader's bucket and prefix copies nothing and restores from the shared snapshot", async () => {
    const shared = freshPrefix("shared");
    const { leader, joiner, meta, transfers } = await learnerAfterSnapshot(() => shared);
    await until("node 4 to install", () => joiner.status().snapshots.installed === 1);
    expect(leader.status().snapshots.bytesSent).toBe(0);
    expect(joiner.status().snapshots).toMatchObject({ installed: 1, bytesReceived: 0, urlBytesReceived: 0, urlFallbacks: 0 });
    expect(transfers).toEqual([expect.objectContaining({ direction: "receive", source: "local", id: meta.id, ok: true })]);
    expect(cluster.machines.get(NodeId.of(4))?.restoredBallast).toBe(ballastSize);
    await expectCaughtUp(leader);
  });
});
