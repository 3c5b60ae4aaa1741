import { RaftError } from "@raft/core/contracts";

/** Why a frame from an accepted connection was dropped. */
export type FrameRejectReason =
  /** A text WebSocket message: this protocol is binary only. */
  | "text-frame"
  /** The envelope's version byte is not one this node speaks. */
  | "envelope-version"
  /** An unknown frame kind. */
  | "frame-kind"
  /** Truncated, trailing bytes, a bad varint or string, a field out of range. */
  | "malformed-frame"
  /** The engine-message batch failed `decodeMessages`. */
  | "invalid-message"
  /** A message's `from` is not the node authenticated on this connection. */
  | "wrong-sender"
  /** A message's `to` is not this node. */
  | "wrong-recipient"
  /** A WebSocket message larger than `maxFrameBytes` (ws closes the connection). */
  | "oversized-frame"
  /** Any other WebSocket protocol violation (ws closes the connection). */
  | "ws-protocol"
  /** A snapshot request that fails `parseSnapshotRequest` or the stream limits. */
  | "bad-snapshot-request"
  /** A snapshot request reusing a stream id. */
  | "duplicate-stream"
  /** A stream frame naming a stream that was never opened. */
  | "unknown-stream"
  /** A snapshot chunk sent without credit. */
  | "credit-exceeded";

/** Why an incoming connection was refused before any frame was read. */
export type ConnectionRejectReason =
  /** A plain HTTP request, not a WebSocket upgrade. */
  | "not-websocket"
  /** Bytes that are not HTTP, or headers too large or too slow. */
  | "bad-http"
  /** The TLS handshake failed: no client certificate when one is required, one not signed by `ca`, ... */
  | "tls"
  /** The upgrade does not offer this transport's subprotocol (version). */
  | "protocol"
  | "missing-token"
  /** A bearer token that is not the token of the node the dialer claims to be. */
  | "wrong-token"
  /** Under mTLS, a certificate that does not name the node the dialer claims to be. */
  | "certificate-mismatch"
  | "wrong-cluster"
  /** The dialer's node id is missing, malformed, or this node's own. */
  | "bad-node-id"
  /** With `requireKnownPeers`: a node id that is not in the address book. */
  | "unknown-peer"
  /** The dialer meant another node (its address book is wrong). */
  | "wrong-target";

export type RejectReason = FrameRejectReason | ConnectionRejectReason;

/** A frame that must be dropped, with the reason counted and logged. */
export class Rejection extends RaftError {
  constructor(
    readonly reason: FrameRejectReason,
    detail: string,
  ) {
    super("InvalidMessage", detail);
  }
}
