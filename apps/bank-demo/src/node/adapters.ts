import { join } from "node:path";
import type { Logger, LogStore, SnapshotStore } from "@raft/core/contracts";
import { MemoryLogStore } from "@raft/log-memory";
import { SqliteLogStore } from "@raft/log-sqlite";
import { DiskSnapshotStore } from "@raft/snapshot-store-disk";
import { GrpcTransport } from "@raft/transport-grpc";
import { WsTransport } from "@raft/transport-ws";
import { ConfigError, type NodeConfig } from "../config/node-config.js";

/** The adapters a config names, opened. */
export async function openLog(config: NodeConfig, logger: Logger): Promise<LogStore> {
  if (config.log === "memory") return new MemoryLogStore();
  return SqliteLogStore.open({ path: join(config.dataDir, "raft-log.db"), logger });
}

export async function openSnapshots(config: NodeConfig, logger: Logger): Promise<SnapshotStore> {
  if (config.snapshots === "s3") throw new ConfigError('snapshots: "s3" needs @raft/snapshot-store-s3, which is not built yet; use "disk"');
  return DiskSnapshotStore.open({ dir: join(config.dataDir, "snapshots"), logger });
}

export type NetworkTransport = GrpcTransport | WsTransport;

export async function openTransport(config: NodeConfig, logger: Logger): Promise<NetworkTransport> {
  const options = { id: config.id, clusterId: config.clusterId, listen: { host: config.host, port: config.port }, peers: config.peers, logger };
  return config.transport === "grpc" ? GrpcTransport.listen(options) : WsTransport.listen(options);
}
