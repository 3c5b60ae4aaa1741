import { join } from "node:path";
import { isRaftError, type Logger, type LogStore, type SnapshotStore } from "@raft/core/contracts";
import { MemoryLogStore } from "@raft/log-memory";
import { SqliteLogStore } from "@raft/log-sqlite";
import { DiskSnapshotStore } from "@raft/snapshot-store-disk";
import { GrpcTransport } from "@raft/transport-grpc";
import { WsTransport } from "@raft/transport-ws";
import { ConfigError, type NodeConfig, type S3Config } from "../config/node-config.js";

/** The adapters a config names, opened. */
export async function openLog(config: NodeConfig, logger: Logger): Promise<LogStore> {
  if (config.log === "memory") return new MemoryLogStore();
  return SqliteLogStore.open({ path: join(config.dataDir, "raft-log.db"), logger });
}

export async function openSnapshots(config: NodeConfig, logger: Logger): Promise<SnapshotStore> {
  if (config.snapshots === "s3") return openS3Snapshots(config, logger);
  return DiskSnapshotStore.open({ dir: join(config.dataDir, "snapshots"), logger });
}

/** This node's prefix in the bucket: its own (`per-node`) or everyone's (`shared`). */
export function s3PrefixOf(config: NodeConfig): string {
  const s3 = config.s3 as S3Config;
  const base = s3.prefix === "" || s3.prefix.endsWith("/") ? s3.prefix : `${s3.prefix}/`;
  return s3.layout === "shared" ? base : `${base}node-${config.id}/`;
}

/**
 * An S3 store whose `owner` is this node, so stores sharing a prefix clean up
 * only their own leftovers. Loaded on demand: the AWS SDK is not needed otherwise.
 */
async function openS3Snapshots(config: NodeConfig, logger: Logger): Promise<SnapshotStore> {
  const s3 = config.s3 as S3Config;
  const { S3SnapshotStore } = await import("@raft/snapshot-store-s3");
  try {
    return await S3SnapshotStore.open({
      bucket: s3.bucket,
      prefix: s3PrefixOf(config),
      region: s3.region,
      ...(s3.endpoint !== undefined ? { endpoint: s3.endpoint } : {}),
      forcePathStyle: s3.forcePathStyle ?? s3.endpoint !== undefined,
      owner: `node-${config.id}`,
      logger,
      ...(s3.credentials !== undefined ? { credentials: { ...s3.credentials } } : {}),
    });
  } catch (error) {
    if (isRaftError(error, "InvalidConfig")) throw new ConfigError(`s3: ${error.message}`);
    throw error;
  }
}

export type NetworkTransport = GrpcTransport | WsTransport;

export async function openTransport(config: NodeConfig, logger: Logger): Promise<NetworkTransport> {
  const options = { id: config.id, clusterId: config.clusterId, listen: { host: config.host, port: config.port }, peers: config.peers, dialVia: config.dialVia, logger };
  return config.transport === "grpc" ? GrpcTransport.listen(options) : WsTransport.listen(options);
}
