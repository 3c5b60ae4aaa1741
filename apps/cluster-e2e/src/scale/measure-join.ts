#!/usr/bin/env node
// One cross-process snapshot transfer, measured, for `pnpm bench`
// (apps/bench/src/snapshots-at-scale): three node processes whose state is
// `mib` MiB generated from a seed take a snapshot (on the leader); a fourth
// node process joins, installs it, and answers a linearizable read. Prints
// one line `RESULT <json>` (a JoinResult with the settings).
//   node dist/scale/measure-join.js '{"transport":"grpc","store":"disk","mib":256}'
import type { Fault } from "./join-scenario.js";
import { joinAndMeasure, prepare } from "./join-scenario.js";
import { SnapshotCluster } from "./snapshot-cluster.js";

interface Settings {
  readonly transport: "grpc" | "ws";
  readonly store: "disk" | "s3";
  readonly mib: number;
  readonly chunkKiB?: number;
  readonly fault?: Fault;
  readonly parentDir?: string;
  readonly snapshotOn?: "all" | "leader";
  readonly verbose?: boolean;
  readonly s3?: { readonly partSize?: number; readonly parallelism?: number };
}

const settings = JSON.parse(process.argv[2] ?? "{}") as Settings;
const cluster = new SnapshotCluster({
  transport: settings.transport,
  store: settings.store,
  chunkBytes: (settings.chunkKiB ?? 1024) * 1024,
  proxies: settings.fault?.kind === "cut",
  ...(settings.parentDir !== undefined ? { parentDir: settings.parentDir } : {}),
  verbose: settings.verbose === true,
  ...(settings.s3 !== undefined ? { s3: settings.s3 } : {}),
});
const stop = () => void cluster.dispose().finally(() => process.exit(130));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
try {
  const prepared = await prepare(cluster, settings.mib * (1 << 20), 42, settings.snapshotOn ?? "leader");
  const result = await joinAndMeasure(cluster, prepared, 4, settings.fault);
  const s3Rss = cluster.s3Pid === undefined ? undefined : cluster.rss.window(cluster.s3Pid, 0).length;
  process.stdout.write(`RESULT ${JSON.stringify({ settings, takeMs: prepared.takeMs, s3Samples: s3Rss, ...result })}\n`);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n${cluster.outputs()}\n`);
  process.exitCode = 1;
} finally {
  await cluster.dispose();
}
