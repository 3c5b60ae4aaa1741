#!/usr/bin/env node
// One Raft node per process for the snapshot-at-scale tests and benchmark:
// RaftNode + SqliteLogStore + a disk or S3 snapshot store + gRPC or WebSocket
// + the blob state machine (state generated from a seed, never in memory),
// driven by its parent over IPC (status, propose, read, take-snapshot,
// add-learner, promote). Usage: node dist/scale/snapshot-node.js CONFIG.json
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isRaftError, type Logger, type SnapshotStore } from "@raft/core/contracts";
import { RaftNode } from "@raft/core/runtime";
import { SqliteLogStore } from "@raft/log-sqlite";
import { DiskSnapshotStore } from "@raft/snapshot-store-disk";
import { BlobMachine } from "./blob-machine.js";
import type { MemoryFields, NodeReply, NodeRequest, SnapshotNodeConfig, SnapshotNodeStatus, SnapshotStoreChoice, SnapshotSummary, TransferRecord } from "./protocol.js";

const config = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as SnapshotNodeConfig;

function stderrLogger(fields: Record<string, unknown>, verbose: boolean): Logger {
  const write = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    process.stderr.write(`${JSON.stringify({ t: Date.now(), level, message, ...fields, ...extra })}\n`);
  };
  const quiet = () => {};
  return { debug: quiet, info: verbose ? write("info") : quiet, warn: write("warn"), error: write("error") };
}
const logger = stderrLogger({ node: config.id }, config.verbose === true);

async function openSnapshots(choice: SnapshotStoreChoice): Promise<SnapshotStore> {
  if (choice.kind === "disk") return DiskSnapshotStore.open({ dir: join(config.dir, "snapshots"), logger });
  // Loaded only for S3 clusters.
  const { S3SnapshotStore } = await import("@raft/snapshot-store-s3");
  return S3SnapshotStore.open({
    bucket: choice.bucket,
    prefix: choice.prefix,
    endpoint: choice.endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    owner: `node-${config.id}`,
    credentials: { accessKeyId: choice.accessKeyId, secretAccessKey: choice.secretAccessKey },
    ...(choice.partSize !== undefined ? { partSize: choice.partSize } : {}),
    ...(choice.parallelism !== undefined ? { parallelism: choice.parallelism } : {}),
    logger,
  });
}

const transportOptions = { id: config.id, clusterId: config.clusterId, listen: { host: "127.0.0.1", port: config.port }, peers: { ...config.peers }, logger };
// Only the chosen transport is loaded.
const transport =
  config.transport === "grpc" ? await (await import("@raft/transport-grpc")).GrpcTransport.listen(transportOptions) : await (await import("@raft/transport-ws")).WsTransport.listen(transportOptions);
const machine = new BlobMachine();
const node = new RaftNode<number>({
  id: config.id,
  voters: [...config.voters],
  join: config.join,
  tickMs: config.tickMs,
  electionTicks: config.electionTicks,
  // Snapshots only when the harness asks; the whole log is compacted then, so a new node needs the snapshot.
  snapshotEntries: 0,
  snapshotLogBytes: 0,
  keepTrailing: 0,
  snapshotChunkBytes: config.chunkBytes,
  snapshotProgressTimeoutMs: config.progressTimeoutMs,
  log: await SqliteLogStore.open({ path: join(config.dir, "raft.db"), logger }),
  snapshots: await openSnapshots(config.snapshots),
  stateMachine: machine,
  transport,
  logger,
});

const finished: TransferRecord[] = [];
const installedAt: number[] = [];
node.on("transfer", (t) => {
  finished.push({ peer: t.peer, direction: t.direction, source: t.source, id: t.id, bytesTotal: t.bytesTotal, durationMs: t.durationMs, ok: t.ok, endedAt: Date.now() });
  if (finished.length > 100) finished.shift();
});
node.on("snapshot", (e) => {
  if (e.kind === "installed") installedAt.push(Date.now());
});
node.on("error", ({ error }) => logger.error("node failed", { error: String(error) }));
await node.start();

function memoryNow(): MemoryFields {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}
let peakMemory = memoryNow();
setInterval(() => {
  const m = memoryNow();
  peakMemory = {
    rss: Math.max(peakMemory.rss, m.rss),
    heapUsed: Math.max(peakMemory.heapUsed, m.heapUsed),
    external: Math.max(peakMemory.external, m.external),
    arrayBuffers: Math.max(peakMemory.arrayBuffers, m.arrayBuffers),
  };
}, 50).unref();

function status(): SnapshotNodeStatus {
  const s = node.status();
  const t = transport.stats();
  return {
    id: config.id,
    pid: process.pid,
    role: s.role,
    term: s.term,
    leader: s.leader,
    commit: s.commit,
    applied: s.applied,
    voters: [...s.membership.voters],
    learners: [...s.membership.learners],
    snapshots: { ...s.snapshots },
    transfers: s.transfers.map((x) => ({ peer: x.peer, direction: x.direction, source: x.source, id: x.id, bytesDone: x.bytesDone, bytesTotal: x.bytesTotal })),
    finished: [...finished],
    transport: { snapshotBytesSent: t.snapshotBytesSent, snapshotBytesReceived: t.snapshotBytesReceived },
    blob: machine.state(),
    installedAt: [...installedAt],
    memory: { now: memoryNow(), peak: peakMemory },
  };
}

async function handle(request: NodeRequest): Promise<unknown> {
  switch (request.op) {
    case "status":
      return status();
    case "propose":
      return node.propose(new TextEncoder().encode(JSON.stringify(request.command)));
    case "read": {
      const index = await node.read();
      return { index, ...machine.state() };
    }
    case "take-snapshot": {
      const meta = await node.takeSnapshot();
      machine.taken(meta);
      return { id: meta.id, index: meta.index, term: meta.term, size: meta.size, files: meta.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })) } satisfies SnapshotSummary;
    }
    case "add-learner":
      return node.addLearner(request.id, request.address);
    case "promote":
      return node.promote(request.id);
    case "gc":
      (globalThis as { gc?: () => void }).gc?.();
      peakMemory = memoryNow();
      return peakMemory.rss;
  }
}

process.on("message", (request: NodeRequest) => {
  handle(request).then(
    (result) => process.send?.({ seq: request.seq, ok: true, result } satisfies NodeReply),
    (error: unknown) =>
      process.send?.({
        seq: request.seq,
        ok: false,
        error: { code: isRaftError(error) ? error.code : "Error", message: String(error), leaderHint: isRaftError(error) ? error.leaderHint : undefined },
      } satisfies NodeReply),
  );
});
// The parent gone: nothing left to do here.
process.on("disconnect", () => void node.stop().finally(() => process.exit(0)));
process.on("SIGTERM", () => void node.stop().finally(() => process.exit(0)));
process.send?.({ seq: 0, ok: true, result: "started" } satisfies NodeReply);
