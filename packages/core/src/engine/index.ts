/**
 * `@raft/core`: the pure, deterministic Raft engine. No I/O, timers, clock or
 * ambient randomness: time arrives as `tick()`, randomness from a seeded PRNG.
 */
export { RaftEngine, type EngineStatus, type PeerProgress } from "./engine.js";
export { engineDefaults, type EngineConfig, type EngineOptions } from "./config.js";
export { RaftError, isRaftError, notLeader, type RaftErrorCode } from "./errors.js";
export type { LogReader } from "./log-reader.js";
export type * from "./messages.js";
export type { LogPosition, Ready, StorageWrite } from "./ready.js";
export type { ProgressState } from "./progress.js";
export { Prng } from "./prng.js";
export { ClusterConfig, decodeMembership, encodeMembership } from "./cluster-config.js";
export type * from "./types.js";
export { Index, NodeId, Term } from "./brands.js";
