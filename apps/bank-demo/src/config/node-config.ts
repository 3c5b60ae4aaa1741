import { readFileSync } from "node:fs";
import { z } from "zod";
import { clusterIdSchema, nodeIdSchema } from "@raft/core/contracts";

const port = z.number().int().min(1).max(65_534);

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
  /** The founding voters; a node that joins later has `join: true` and waits to be added. */
  voters: z.array(nodeIdSchema).min(1),
  join: z.boolean().default(false),
  /** Raft addresses ("host:port") of the other members known at start. */
  peers: z.record(z.string().regex(/^[1-9]\d*$/, "peer keys are node ids"), z.string().regex(/^[^\s:]+:\d{1,5}$/, "expected host:port")).default({}),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  tuning: z
    .strictObject({
      tickMs: z.number().int().min(1).default(50),
      electionTicks: z.number().int().min(2).default(10),
      snapshotEntries: z.number().int().min(0).default(10_000),
      keepTrailing: z.number().int().min(0).default(100),
      snapshotChunkBytes: z.number().int().min(1024).default(1 << 20),
      snapshotMaxBytesPerSecond: z.number().int().min(0).default(0),
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
