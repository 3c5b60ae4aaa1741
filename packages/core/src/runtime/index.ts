/** `@raft/core/runtime`: `RaftNode`, the driver that runs the engine against real ports. */
export { RaftNode, type RaftNodeStatus } from "./raft-node.js";
export type { RaftNodeEvents } from "./events.js";
export { raftNodeConfigSchema, parseNodeConfig, type RaftNodeConfig, type RaftNodeOptions, type ResolvedRaftNodeConfig } from "./options.js";
export { systemClock } from "./system-clock.js";
