/**
 * `@raft/core/contracts`: the ports adapters implement, the wire schemas that
 * guard trust boundaries, and the typed errors.
 */
export type { Clock } from "./clock.js";
export type { LogStore, LogWrite } from "./log-store.js";
export { MemoryLog } from "./memory-log.js";
export { consoleLogger, silentLogger, type Logger } from "./logger.js";
export { loggerOption, loggerSchema, parseOptions } from "./options.js";
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
export { BinaryWriter } from "./wire/binary-writer.js";
export type { AddressBook, FetchSnapshotOptions, SnapshotRequest, Transport, TransportHandlers } from "./transport.js";
export { PeerAddresses } from "./peer-addresses.js";
// The transport kit: what every network transport shares.
export { Backoff, RECONNECT_DEFAULTS, RECONNECT_LIMITS, type BackoffOptions } from "./transport-kit/backoff.js";
export { BufferPool } from "./transport-kit/buffer-pool.js";
export { ChunkBuffers } from "./transport-kit/chunk-buffers.js";
export { addressSchema, advertisedAddress, formatAddress, isAddress, isWildcardHost, parseAddress, type HostPort } from "./transport-kit/address.js";
export { certificateIdentity, certificateMismatch, certificateNodeIds, isNodeToken, nodeToken, secretsEqual } from "./transport-kit/credentials.js";
export { TransportLifecycle, usableAddresses } from "./transport-kit/lifecycle.js";
export { OutboundQueue, type Taken } from "./transport-kit/outbound-queue.js";
export { RateLimitedLog, type LogLevel } from "./transport-kit/rate-limited-log.js";
// The snapshot channel: a connection per snapshot fetch (transport-kit/snapshot-channel/protocol.ts).
export { ChannelUnsupported, fetchOverChannel, preferChannel, type ChannelDial } from "./transport-kit/snapshot-channel/channel-fetch.js";
export { ChannelServer, type ChannelRejectReason, type ChannelServerDeps } from "./transport-kit/snapshot-channel/channel-server.js";
export { deliver, IncomingSnapshot, type FetchSettings } from "./transport-kit/snapshot-channel/incoming-snapshot.js";
export {
  acceptResponse,
  MAX_CREDIT_CHUNKS,
  MAX_SERVED_STREAMS_PER_PEER,
  MIN_CHUNK_BYTES,
  peerError,
  refusalResponse,
  REJECT_HEADER,
  REQUEST_HEADER,
  SNAPSHOT_CHANNEL,
  SNAPSHOT_HIGH_WATER_BYTES,
} from "./transport-kit/snapshot-channel/protocol.js";
export { ServedSnapshot, type ServeLimits, type StreamSink } from "./transport-kit/snapshot-channel/served-snapshot.js";
export {
  TRANSPORT_DEFAULTS,
  TRANSPORT_LIMITS,
  peerMapSchema,
  reconnectSchema,
  resolveTransportOptions,
  secretSchema,
  tlsOptionsSchema,
  transportOptionsSchema,
  type ParsedTransportOptions,
  type ResolvedTransportOptions,
  type TlsOptions,
} from "./transport-kit/transport-options.js";
export { RaftError, isRaftError, type RaftErrorCode } from "../engine/errors.js";
export type { Entry, HardState, InlineFile, LogReader, Membership, Message, SnapshotFile, SnapshotMeta, SnapshotSource } from "../engine/index.js";
// Branded numbers: each name is a type and its constructor (`Index.of(5)`), see engine/brands.ts.
export { Index, NodeId, Term } from "../engine/index.js";
