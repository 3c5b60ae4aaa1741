/**
 * `@raft/transport-grpc`: the `Transport` port of `@raft/core` over gRPC
 * (@grpc/grpc-js). Engine messages travel batched on one long-lived stream
 * per peer, in the versioned binary encoding of `@raft/core/contracts`;
 * snapshots are pulled over server-streaming calls under flow control. The
 * service is described by proto/raft_transport.proto, shipped in the package.
 */
export { GrpcTransport } from "./grpc-transport.js";
export { grpcTransportOptionsSchema, type GrpcTlsOptions, type GrpcTransportOptions } from "./options.js";
export type { GrpcTransportStats } from "./stats.js";
export type { RefusalReason, RejectionReason } from "./rejections.js";

/** Where the package's .proto file is, for tools that want it (`fileURLToPath(protoFile)`). */
export const protoFile: URL = new URL("../proto/raft_transport.proto", import.meta.url);
