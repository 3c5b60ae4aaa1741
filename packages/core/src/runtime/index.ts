/** `@raft/core/runtime`: `RaftNode`, the driver that runs the engine against real ports. */
export { RaftNode } from "./raft-node.js";
export type { ProposeOptions, RaftNodeStatus, TakeSnapshotOptions } from "./raft-node-types.js";
export type { SnapshotStats } from "./snapshots/snapshot-stats.js";
export type { CatchUpStats } from "./storage/read-ahead-log.js";
export type { FinishedTransfer, SnapshotTransfer } from "./snapshots/transfer-tracker.js";
export { TokenBucket } from "./token-bucket.js";
export type { RaftNodeEvents } from "./events.js";
export { raftNodeConfigSchema, parseNodeConfig, type RaftNodeConfig, type RaftNodeOptions, type ResolvedRaftNodeConfig } from "./options.js";
export { systemClock } from "./system-clock.js";
