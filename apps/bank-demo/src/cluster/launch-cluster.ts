import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, httpUrlOf, parseNodeConfig, type NodeConfigInput, type S3Config } from "../config/node-config.js";
import type { LocalS3 } from "./local-s3.js";
import { nodeDir, portOf } from "./cluster-layout.js";
import { Supervisor } from "./supervisor.js";
import { spawnNode } from "./spawn-node.js";

export interface ClusterOptions {
  nodes: number;
  dir: string;
  transport: "grpc" | "ws";
  log: "sqlite" | "memory";
  snapshots: "disk" | "s3";
  basePort: number;
  host: string;
  /** With `snapshots: "s3"`. */
  s3?: S3ClusterOptions;
}

export interface S3ClusterOptions {
  /** An S3-compatible server; with neither it nor `bucket`, a local server is started. */
  endpoint?: string;
  bucket?: string;
  prefix: string;
  region: string;
  /** One prefix for every node instead of one per node. */
  shared: boolean;
  /** The local server's port (default: base port − 1). */
  port?: number;
  /** The S3 option names given on the command line (camelCase), refused without `--snapshots s3`. */
  given?: readonly string[];
}

/** The bucket the local S3 server creates. */
const LOCAL_BUCKET = "bank-demo";

const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * `bank-demo cluster`: N nodes as child processes on one machine. Data, configs,
 * pids and logs live under `dir/<id>/`. The supervisor adopts every node of
 * the directory (including ones added later with `add-node`), restarts none by
 * itself, and on Ctrl-C stops them all before it exits; it does not exit
 * while any is left. With `--snapshots s3` and no
 * S3 endpoint or bucket given, a local S3 server runs in this process (objects
 * under `dir/s3/`) and stops with the cluster.
 */
export async function launchCluster(o: ClusterOptions): Promise<void> {
  const dir = resolve(o.dir);
  const ids = Array.from({ length: o.nodes }, (_, i) => i + 1);
  const address = (id: number) => `${o.host}:${portOf(o.basePort, id)}`;
  const s3Options = checkS3Options(o);
  let local: LocalS3 | undefined;
  let s3: S3Config | undefined;
  if (s3Options !== undefined) {
    const layout = s3Options.shared ? "shared" : "per-node";
    if (s3Options.endpoint === undefined && s3Options.bucket === undefined) {
      const { LOCAL_S3_CREDENTIALS, startLocalS3 } = await import("./local-s3.js");
      const objects = join(dir, "s3");
      mkdirSync(objects, { recursive: true });
      local = await startLocalS3({ dir: objects, bucket: LOCAL_BUCKET, host: o.host, port: s3Options.port ?? o.basePort - 1 });
      console.log(`local S3 server (s3rver): ${local.endpoint}, bucket ${local.bucket}, objects in ${objects}; it stops with the cluster`);
      s3 = { bucket: local.bucket, prefix: s3Options.prefix, region: s3Options.region, endpoint: local.endpoint, forcePathStyle: true, layout, credentials: { ...LOCAL_S3_CREDENTIALS } };
    } else {
      s3 = { bucket: s3Options.bucket as string, prefix: s3Options.prefix, region: s3Options.region, ...(s3Options.endpoint !== undefined ? { endpoint: s3Options.endpoint } : {}), layout };
    }
  }

  const configs = ids.map((id): NodeConfigInput => ({
    id,
    clusterId: "bank-demo",
    dataDir: nodeDir(dir, id),
    host: o.host,
    port: portOf(o.basePort, id),
    transport: o.transport,
    log: o.log,
    snapshots: o.snapshots,
    // With S3, snapshots are never inlined in InstallSnapshot: a new node always reads its snapshot from S3, however small.
    ...(s3 !== undefined ? { s3, tuning: { snapshotInlineBytes: 0 } } : {}),
    voters: ids,
    peers: Object.fromEntries(ids.filter((p) => p !== id).map((p) => [String(p), address(p)])),
  }));
  try {
    for (const c of configs) parseNodeConfig(c, `for node ${c.id}`); // refuse bad settings before starting anything
  } catch (error) {
    await local?.stop();
    throw error;
  }

  let stopping = false;
  const supervisor = new Supervisor(dir, (line) => console.log(line));
  const children = configs.map((config) => spawnNode(config));
  supervisor.start();

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log(`stopping nodes ${supervisor.liveNodes().join(", ") || "(none running)"}…`);
    await supervisor.stopAll(children.map((c) => c.pid).filter((p): p is number => p !== undefined));
    // The nodes first: they may still be writing snapshots to it.
    await local?.stop();
    console.log("stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());

  const where = s3 === undefined ? `${o.snapshots} snapshots` : `S3 snapshots (s3://${s3.bucket}/${s3.prefix}, ${s3.layout === "shared" ? "one prefix shared by every node" : "a prefix per node"})`;
  console.log(`bank-demo: ${o.nodes} nodes over ${o.transport}, ${o.log} log, ${where}; data in ${dir}`);
  for (const id of ids) console.log(`  node ${id}  ${httpUrlOf(address(id))}  (raft ${address(id)}, log ${nodeDir(dir, id)}/node.log)`);
  console.log(`dashboard: ${httpUrlOf(address(1))}/`);
  const leader = await waitForLeader(ids.map((id) => httpUrlOf(address(id))));
  if (stopping) return;
  console.log(leader === undefined ? "no leader yet; the nodes keep trying" : `leader: node ${leader}. Try: bank-demo status --dir ${o.dir}`);
  console.log("Ctrl-C stops every node of the cluster directory, including nodes added later.");
}

/** The S3 options, checked: `undefined` without `--snapshots s3` (and then none may be given). */
function checkS3Options(o: ClusterOptions): S3ClusterOptions | undefined {
  const s3 = o.s3 ?? { prefix: "bank-demo/", region: "us-east-1", shared: false };
  const given = s3.given ?? [];
  if (o.snapshots !== "s3") {
    if (given.length > 0) throw new ConfigError(`${given.map(flag).join(", ")}: only with --snapshots s3`);
    return undefined;
  }
  if (s3.endpoint !== undefined && s3.bucket === undefined) throw new ConfigError("--s3-endpoint needs --s3-bucket: the bucket must exist on that server");
  if (s3.port !== undefined && (s3.endpoint !== undefined || s3.bucket !== undefined))
    throw new ConfigError("--s3-port is the local S3 server's, which starts only without --s3-endpoint and --s3-bucket");
  return s3;
}

async function waitForLeader(urls: string[], timeoutMs = 15_000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const url of urls) {
      try {
        const status = (await (await fetch(`${url}/status`, { signal: AbortSignal.timeout(500) })).json()) as { role: string; id: number };
        if (status.role === "leader") return status.id;
      } catch {
        // not up yet
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}
