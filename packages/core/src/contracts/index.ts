/**
 * `@raft/core/contracts`: the ports adapters implement, the wire schemas that
 * guard trust boundaries, and the typed errors.
 */
export type { Clock } from "./clock.js";
export type { LogStore, LogWrite } from "./log-store.js";
export { MemoryLog } from "./memory-log.js";
export { consoleLogger, silentLogger, type Logger } from "./logger.js";
export {
  MAX_SNAPSHOT_CHUNK_BYTES,
  clusterIdSchema,
  entrySchema,
  hardStateSchema,
  indexSchema,
  membershipSchema,
  messageSchema,
  nodeIdSchema,
  parseMessage,
  parseSnapshotMeta,
  parseSnapshotRequest,
  snapshotMetaSchema,
  snapshotRequestSchema,
  termSchema,
} from "./schemas.js";
export { isSnapshotFileName, isSnapshotId, manifestDigest, snapshotId } from "./snapshot-manifest.js";
export type { LocatedSnapshot, OpenOptions, SnapshotDraft, SnapshotReception, SnapshotStore, SnapshotWriter } from "./snapshot-store.js";
export * as snapshotStoreRules from "./snapshot-store-rules.js";
export type { Command, SnapshotFileSource, SnapshotFileStream, StateMachine, StateMachineSnapshot } from "./state-machine.js";
export { WIRE_VERSION, decodeMessages, encodeMessages } from "./wire/message-codec.js";
export { BinaryReader } from "./wire/binary-reader.js";
export type { AddressBook, SnapshotRequest, Transport, TransportHandlers } from "./transport.js";
export { PeerAddresses } from "./peer-addresses.js";
export { Backoff, RECONNECT_DEFAULTS, RECONNECT_LIMITS, resolveReconnect, type BackoffOptions, type ReconnectOptions } from "./transport-kit/backoff.js";
export { RaftError, isRaftError, type RaftErrorCode } from "../engine/errors.js";
export type { Entry, HardState, Index, InlineFile, LogReader, Membership, Message, NodeId, SnapshotFile, SnapshotMeta, SnapshotSource, Term } from "../engine/index.js";
