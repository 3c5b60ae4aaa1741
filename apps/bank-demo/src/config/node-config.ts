import { readFileSync } from "node:fs";
import { z } from "zod";
import { clusterIdSchema, nodeIdSchema } from "@raft/core/contracts";

const port = z.number().int().min(1).max(65_534);

/**
 * Where a node keeps its snapshots with `snapshots: "s3"`. The node's store
 * prefix is `prefix` + `node-<id>/` (`layout: "per-node"`: each node has its
 * own copy, and a follower reads the leader's snapshot straight from the
 * leader's prefix) or `prefix` itself (`"shared"`: every node sees every
 * snapshot, so a follower copies nothing). Credentials come from the AWS
 * SDK's chain (environment, profile, role) unless `credentials` is set,
 * which is meant for local S3-compatible servers and their dummy keys.
 */
export const s3ConfigSchema = z.strictObject({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens"),
  prefix: z
    .string()
    .max(400)
    .regex(/^(?:[A-Za-z0-9!_.*'()-]+\/)*[A-Za-z0-9!_.*'()-]*\/?$/, "must be key segments separated by '/', without a leading '/' or empty segments")
    .refine((p) => !p.split("/").some((seg) => seg === "." || seg === ".."), "must not contain '.' or '..' segments")
    .default("bank-demo/"),
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, "must be a region name like eu-west-1")
    .default("us-east-1"),
  /** An S3-compatible server or a VPC endpoint; absent: AWS S3 in `region`. */
  endpoint: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }).optional(),
  /** Path-style requests; by default on with a custom endpoint (local servers need it), off for AWS. */
  forcePathStyle: z.boolean().optional(),
  layout: z.enum(["per-node", "shared"]).default("per-node"),
  credentials: z.strictObject({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }).optional(),
});

export type S3Config = z.infer<typeof s3ConfigSchema>;

/**
 * One node's configuration file (`D/<id>/config.json`). A node listens for
 * Raft traffic on `port` and serves HTTP on `port + 1`; peers' HTTP URLs are
 * derived the same way from their Raft addresses, so a node added later is
 * reachable by address alone.
 */
export const nodeConfigSchema = z.strictObject({
  id: nodeIdSchema,
  clusterId: clusterIdSchema,
  dataDir: z.string().min(1),
  host: z.string().min(1).default("127.0.0.1"),
  port,
  transport: z.enum(["grpc", "ws"]).default("grpc"),
  log: z.enum(["sqlite", "memory"]).default("sqlite"),
  snapshots: z.enum(["disk", "s3"]).default("disk"),
  /** With `snapshots: "s3"`: the bucket and prefix (see `s3ConfigSchema`). */
  s3: s3ConfigSchema.optional(),
  /** The founding voters; a node that joins later has `join: true` and waits to be added. */
  voters: z.array(nodeIdSchema).min(1),
  join: z.boolean().default(false),
  /** Raft addresses ("host:port") of the other members known at start. */
  peers: z.record(z.string().regex(/^[1-9]\d*$/, "peer keys are node ids"), z.string().regex(/^[^\s:]+:\d{1,5}$/, "expected host:port")).default({}),
  /**
   * Where to dial a peer instead of its address (the transports' `dialVia`):
   * a proxy in front of it. `pnpm chaos` puts a TCP proxy on every ordered
   * pair of nodes this way, so it can cut, blackhole or slow each direction.
   */
  dialVia: z.record(z.string().regex(/^[1-9]\d*$/, "dialVia keys are node ids"), z.string().regex(/^[^\s:]+:\d{1,5}$/, "expected host:port")).default({}),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  tuning: z
    .strictObject({
      tickMs: z.number().int().min(1).default(50),
      electionTicks: z.number().int().min(2).default(10),
      /**
       * Entries applied between snapshots. 100,000 (etcd's `--snapshot-count`): each
       * snapshot rewrites the whole dedup table (up to `dedupCapacity` records),
       * and at 10,000 that cost 10 % of the cluster's CPU per write under load.
       */
      snapshotEntries: z.number().int().min(0).default(100_000),
      keepTrailing: z.number().int().min(0).default(100),
      snapshotChunkBytes: z
        .number()
        .int()
        .min(1024)
        .default(1 << 20),
      snapshotMaxBytesPerSecond: z.number().int().min(0).default(0),
      /** Snapshots up to this size travel inside InstallSnapshot (0: never); `cluster --snapshots s3` sets 0, so a new node always reads from S3. */
      snapshotInlineBytes: z
        .number()
        .int()
        .min(0)
        .default(64 * 1024),
      dedupCapacity: z.number().int().min(1).default(100_000),
    })
    .prefault({}),
});

export type NodeConfig = z.infer<typeof nodeConfigSchema>;
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;

/** Thrown for a config file that cannot be used; the message names the file and every bad field. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function parseNodeConfig(value: unknown, where: string): NodeConfig {
  const result = nodeConfigSchema.safeParse(value);
  if (!result.success) {
    const fields = result.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
    throw new ConfigError(`invalid node config ${where}:\n${fields}`);
  }
  if (!result.data.join && !result.data.voters.includes(result.data.id)) {
    throw new ConfigError(`invalid node config ${where}:\n  voters: node ${result.data.id} is not a founding voter; set "join": true to add it later`);
  }
  if (result.data.snapshots === "s3" && result.data.s3 === undefined) {
    throw new ConfigError(`invalid node config ${where}:\n  s3: snapshots "s3" needs an "s3" section with at least a bucket`);
  }
  if (result.data.snapshots !== "s3" && result.data.s3 !== undefined) {
    throw new ConfigError(`invalid node config ${where}:\n  s3: only used with snapshots "s3" (snapshots is "${result.data.snapshots}")`);
  }
  return result.data;
}

export function loadNodeConfig(file: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read node config ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`node config ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseNodeConfig(json, file);
}

/** A node's HTTP URL from its Raft address: same host, the next port. */
export function httpUrlOf(raftAddress: string): string {
  const at = raftAddress.lastIndexOf(":");
  return `http://${raftAddress.slice(0, at)}:${Number(raftAddress.slice(at + 1)) + 1}`;
}
