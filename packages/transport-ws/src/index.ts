/**
 * `@raft/transport-ws`: the `Transport` port of `@raft/core` over WebSocket.
 * One authenticated connection per peer pair carries batched engine messages
 * and credit-flow-controlled snapshot streams; see README.md for the wire format.
 */
export { WsTransport, type ConnectionInfo } from "./ws-transport.js";
export { wsTransportOptionsSchema, type WsTlsOptions, type WsTransportOptions } from "./options.js";
export type { DropReason, WsTransportStats } from "./stats.js";
export type { ConnectionRejectReason, FrameRejectReason, RejectReason } from "./rejection.js";
export { ENVELOPE_VERSION } from "./envelope.js";
export { SUBPROTOCOL } from "./handshake.js";
