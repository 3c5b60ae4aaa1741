import { afterEach, describe, expect, it } from "vitest";
import { decodeMessages, encodeMessages, manifestDigest, snapshotId } from "../../src/contracts/index.js";
import { Index, NodeId, Term, type Message, type SnapshotMeta } from "../../src/engine/index.js";
import type { FinishedTransfer, RaftNodeConfig } from "../../src/runtime/index.js";
import { runSnapshotStoreContract } from "../../src/conformance/index.js";
import { MemorySnapshotStore, TestCluster, type SimStateMachine } from "../../src/testing/index.js";
import { bytes } from "../support/bytes.js";

// Followers that receive a snapshot from its location (the S3 path), on real
// RaftNodes over a simulated clock and network, with in-memory stores that
// share a bucket: a shared prefix (nothing to copy), another prefix (read
// from the location), a location that fails (fall back to the leader) and a
// damaged object (never installed).

// The memory store on a bucket is still a SnapshotStore, and a locatable one.
runSnapshotStoreContract("MemorySnapshotStore on a bucket", {
  durable: false,
  async create() {
    const store = new MemorySnapshotStore({ bucket: MemorySnapshotStore.bucket("contract"), prefix: "nodes/1/" });
    return { store, dispose: () => store.close() };
  },
  corrupt: async (store, id, file) => (store as MemorySnapshotStore).corrupt(id, file),
});

const chunk = 256;
const settings: Partial<RaftNodeConfig> = { snapshotEntries: 0, keepTrailing: 0, snapshotInlineBytes: 0, snapshotChunkBytes: chunk, snapshotMaxAttempts: 2 };

let cluster: TestCluster<Index, SimStateMachine>;
afterEach(async () => {
  await cluster?.stopAll();
});

/**
 * Three voters and a fourth node, started empty before the leader snapshots
 * (so it cannot find the snapshot at startup); the leader writes, snapshots
 * and compacts everything, then adds node 4, which must install.
 */
async function joinAfterSnapshot(storeFor: (id: number) => MemorySnapshotStore, beforeAdd: (meta: SnapshotMeta) => void = () => {}, writes = 300) {
  cluster = TestCluster.of([1, 2, 3], { node: settings, snapshotStore: storeFor });
  await cluster.startAll();
  const joiner = await cluster.startJoiner(4);
  const leader = await cluster.waitForLeader();
  const all = [];
  for (let i = 0; i < writes; i++) all.push(leader.propose(bytes(`v${i}-${"x".repeat(40)}`)));
  await cluster.settle(Promise.all(all));
  const meta = await cluster.settle(leader.takeSnapshot());
  expect(meta.size).toBeGreaterThan(20 * chunk);
  const transfers: FinishedTransfer[] = [];
  joiner.on("transfer", (t) => transfers.push(t));
  leader.on("transfer", (t) => transfers.push(t));
  const offers: Message[] = [];
  const unwatch = watchOffers(cluster, offers);
  beforeAdd(meta);
  await cluster.settle(leader.addLearner(4));
  return { leader, joiner, meta, transfers, offers, unwatch };
}

/** Records InstallSnapshot messages as the leader's transport sends them. */
function watchOffers(c: TestCluster<Index, SimStateMachine>, into: Message[]): () => void {
  const network = c.network as unknown as { send(m: Message): void };
  const send = network.send.bind(network);
  network.send = (m) => {
    if (m.type === "InstallSnapshot") into.push(m);
    send(m);
  };
  return () => {
    network.send = send;
  };
}

function expectSameValues(c: TestCluster<Index, SimStateMachine>, ids: readonly NodeId[]): void {
  const values = ids.map((id) => c.machines.get(id)?.values.join(","));
  expect(new Set(values).size).toBe(1);
}

describe("located snapshots", () => {
  it("a follower under another prefix reads the snapshot from its location: the leader serves zero bytes", async () => {
    const bucket = MemorySnapshotStore.bucket("snaps");
    const { leader, joiner, meta, transfers, offers } = await joinAfterSnapshot((id) => new MemorySnapshotStore({ bucket, prefix: `node-${id}/`, now: () => cluster.clock.now() }));
    await cluster.until(() => joiner.status().snapshots.installed === 1, 20_000);
    const url = await cluster.snapshotStores.get(leader.id)?.locate(meta.id);
    expect(url).toMatch(/^mem:\/\/snaps\//);
    expect(offers.some((m) => m.type === "InstallSnapshot" && m.source.kind === "url" && m.source.url === url)).toBe(true);
    expect(leader.status().snapshots.bytesSent).toBe(0);
    expect(cluster.network.stats.snapshotBytes).toBe(0);
    expect(joiner.status().snapshots).toMatchObject({ installed: 1, bytesReceived: meta.size, urlBytesReceived: meta.size, urlFallbacks: 0, checksumFailures: 0 });
    expect(bucket.locatedBytesRead).toBe(meta.size);
    expect(transfers).toEqual([expect.objectContaining({ peer: leader.id, direction: "receive", source: "url", id: meta.id, bytesDone: meta.size, ok: true })]);
    // The copy is the follower's own, under its prefix.
    expect((await cluster.snapshotStores.get(4)?.locate(meta.id)) ?? "").toContain("prefix=node-4%2F");
    await cluster.until(() => joiner.status().applied === leader.status().applied);
    expectSameValues(cluster, [NodeId.of(1), NodeId.of(2), NodeId.of(3), NodeId.of(4)]);
  });

  it("a follower sharing the leader's prefix copies nothing: the snapshot is already in its store", async () => {
    const bucket = MemorySnapshotStore.bucket("shared");
    const { leader, joiner, meta, transfers } = await joinAfterSnapshot(() => new MemorySnapshotStore({ bucket, prefix: "cluster/", now: () => cluster.clock.now() }));
    await cluster.until(() => joiner.status().snapshots.installed === 1, 20_000);
    expect(leader.status().snapshots.bytesSent).toBe(0);
    expect(joiner.status().snapshots).toMatchObject({ installed: 1, bytesReceived: 0, urlBytesReceived: 0, urlFallbacks: 0 });
    expect(bucket.locatedBytesRead).toBe(0);
    expect(cluster.network.stats.snapshotBytes).toBe(0);
    expect(transfers).toEqual([expect.objectContaining({ peer: leader.id, direction: "receive", source: "local", id: meta.id, ok: true })]);
    expect(cluster.machines.get(4)?.restoredValues).toBe(300);
    await cluster.until(() => joiner.status().applied === leader.status().applied);
    expectSameValues(cluster, [NodeId.of(1), NodeId.of(2), NodeId.of(3), NodeId.of(4)]);
  });

  it("a location cut mid-transfer: the follower falls back to the leader, which sends only the rest", async () => {
    const bucket = MemorySnapshotStore.bucket("flaky");
    const { leader, joiner, meta, transfers } = await joinAfterSnapshot(
      (id) => new MemorySnapshotStore({ bucket, prefix: `node-${id}/`, now: () => cluster.clock.now() }),
      (m) => (bucket.failLocatedReadsAfter = Math.floor(m.size / 2)),
    );
    const size = meta.size;
    await cluster.until(() => joiner.status().snapshots.installed === 1, 30_000);
    const s = joiner.status().snapshots;
    expect(s.urlFallbacks).toBe(1);
    expect(s.urlBytesReceived).toBeGreaterThan(size / 2 - chunk);
    expect(s.urlBytesReceived).toBeLessThanOrEqual(size / 2);
    // The leader continued from the follower's durable offset: the rest, not the whole snapshot.
    const sent = leader.status().snapshots.bytesSent;
    expect(sent).toBe(size - s.urlBytesReceived);
    expect(s.bytesReceived).toBe(size);
    expect(s.resumes).toBeGreaterThanOrEqual(1);
    expect(transfers.filter((t) => t.direction === "receive")).toEqual([expect.objectContaining({ source: "peer", ok: true, bytesDone: size })]);
    await cluster.until(() => joiner.status().applied === leader.status().applied);
    expectSameValues(cluster, [NodeId.of(1), NodeId.of(2), NodeId.of(3), NodeId.of(4)]);
  });

  it("an unreachable location, or one this store cannot read, means pulling from the leader", async () => {
    const bucket = MemorySnapshotStore.bucket("down");
    bucket.unreachable = true;
    const { leader, joiner, meta } = await joinAfterSnapshot((id) =>
      id === 4 ? new MemorySnapshotStore({ bucket, prefix: "node-4/", now: () => cluster.clock.now() }) : new MemorySnapshotStore({ bucket, prefix: `node-${id}/` }),
    );
    await cluster.until(() => joiner.status().snapshots.installed === 1, 30_000);
    expect(joiner.status().snapshots).toMatchObject({ urlFallbacks: 1, urlBytesReceived: 0, bytesReceived: meta.size });
    expect(leader.status().snapshots.bytesSent).toBe(meta.size);
    await cluster.stopAll();

    // A store without the bucket (a disk store, say) does not try: no fallback is counted.
    const other = MemorySnapshotStore.bucket("elsewhere");
    const second = await joinAfterSnapshot((id) => (id === 4 ? new MemorySnapshotStore() : new MemorySnapshotStore({ bucket: other, prefix: `node-${id}/` })));
    await cluster.until(() => second.joiner.status().snapshots.installed === 1, 30_000);
    expect(second.offers.some((m) => m.type === "InstallSnapshot" && m.source.kind === "url")).toBe(true);
    expect(second.joiner.status().snapshots).toMatchObject({ urlFallbacks: 0, urlBytesReceived: 0, bytesReceived: second.meta.size });
    expect(second.leader.status().snapshots.bytesSent).toBe(second.meta.size);
  });

  it("a damaged object at the location is detected and never installed, from there or from the leader", async () => {
    const bucket = MemorySnapshotStore.bucket("rot");
    cluster = TestCluster.of([1, 2, 3], { node: settings, snapshotStore: (id) => new MemorySnapshotStore({ bucket, prefix: `node-${id}/`, now: () => cluster.clock.now() }) });
    await cluster.startAll();
    const joiner = await cluster.startJoiner(4);
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 100; i++) void leader.propose(bytes(`v${i}-${"x".repeat(40)}`));
    await cluster.run(500);
    const meta = await cluster.settle(leader.takeSnapshot());
    // The leader's object rots in the bucket; the leader reads the same damaged bytes when it serves.
    cluster.snapshotStores.get(leader.id)?.corrupt(meta.id, meta.files[0]?.name as string);
    await cluster.settle(leader.addLearner(4));
    await cluster.run(5_000);
    const s = joiner.status().snapshots;
    expect(s.installed).toBe(0);
    expect(s.urlFallbacks).toBeGreaterThanOrEqual(1);
    // Each offer: one failure from the location, then the leader's copy, tried maxAttempts + 1 times.
    expect(s.checksumFailures).toBeGreaterThanOrEqual(1 + 2);
    expect(cluster.machines.get(4)?.restoredValues).toBe(0);
    expect(cluster.machines.get(4)?.values).toEqual([]);
    expect(await cluster.snapshotStores.get(4)?.list()).toEqual([]);
    expect(joiner.status().applied).toBe(0);
  });

  it("a damaged snapshot in a shared prefix is never installed either", async () => {
    const bucket = MemorySnapshotStore.bucket("shared-rot");
    cluster = TestCluster.of([1, 2, 3], { node: settings, snapshotStore: () => new MemorySnapshotStore({ bucket, prefix: "cluster/", now: () => cluster.clock.now() }) });
    await cluster.startAll();
    const joiner = await cluster.startJoiner(4);
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 100; i++) void leader.propose(bytes(`v${i}-${"x".repeat(40)}`));
    await cluster.run(500);
    const meta = await cluster.settle(leader.takeSnapshot());
    cluster.snapshotStores.get(leader.id)?.corrupt(meta.id, meta.files[0]?.name as string);
    await cluster.settle(leader.addLearner(4));
    await cluster.run(3_000);
    expect(joiner.status().snapshots.installed).toBe(0);
    expect(joiner.status().snapshots.checksumFailures).toBeGreaterThanOrEqual(1);
    expect(leader.status().snapshots.bytesSent).toBe(0);
    expect(cluster.machines.get(4)?.restoredValues).toBe(0);
    expect(joiner.status().applied).toBe(0);
  });

  it("a follower restarted mid-transfer resumes from its durable offset at the location", async () => {
    const bucket = MemorySnapshotStore.bucket("resume");
    // The first attempt stops at 60%: the fetcher flushes what it wrote and falls back to the leader; the node crashes then.
    const { leader, meta } = await joinAfterSnapshot(
      (id) => new MemorySnapshotStore({ bucket, prefix: `node-${id}/`, now: () => cluster.clock.now() }),
      (m) => (bucket.failLocatedReadsAfter = Math.floor(m.size * 0.6)),
    );
    await cluster.until(() => bucket.unreachable);
    await cluster.crash(4);
    bucket.unreachable = false;
    bucket.failLocatedReadsAfter = Number.POSITIVE_INFINITY;
    const readBefore = bucket.locatedBytesRead;
    const sentBefore = leader.status().snapshots.bytesSent;
    const back = await cluster.start(4);
    await cluster.until(() => back.status().snapshots.installed === 1, 30_000);
    const after = bucket.locatedBytesRead - readBefore + (leader.status().snapshots.bytesSent - sentBefore);
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(meta.size - Math.floor(meta.size * 0.6) + chunk); // the rest only (the cut comes at a chunk's edge)
    expect(back.status().snapshots.resumes).toBeGreaterThanOrEqual(1);
    await cluster.until(() => back.status().applied === leader.status().applied);
    expectSameValues(cluster, [NodeId.of(1), NodeId.of(2), NodeId.of(3), NodeId.of(4)]);
  });

  it("an offer with a location survives the wire codec", () => {
    const files = [{ name: "values.json", size: 10, sha256: "cd".repeat(32) }];
    const digest = manifestDigest(files);
    const meta: SnapshotMeta = {
      id: snapshotId(7, 2, digest),
      index: Index.of(7),
      term: Term.of(2),
      membership: { voters: [NodeId.of(1), NodeId.of(2), NodeId.of(3)], learners: [NodeId.of(4)] },
      files,
      size: 10,
      sha256: digest,
      createdAt: 1,
    };
    const urls = [`mem://snaps/${meta.id}?prefix=node-1%2F`, `s3://raft-snapshots/clusters/bank/node-1/snapshots/${meta.id}/manifest.json?region=us-east-1&endpoint=http%3A%2F%2F127.0.0.1%3A7099`];
    for (const url of urls) {
      const m: Message = { type: "InstallSnapshot", from: NodeId.of(1), to: NodeId.of(4), term: Term.of(2), snapshot: meta, source: { kind: "url", url } };
      expect(decodeMessages(encodeMessages([m]))).toEqual([m]);
    }
  });
});
