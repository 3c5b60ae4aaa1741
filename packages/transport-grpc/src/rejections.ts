/**
 * Why an incoming call or frame was refused. A fixed set: these key the
 * counters of `stats().rejections` and the rate limit of the log.
 */
export type RejectionReason =
  // the connection, before any call
  /** A TLS handshake that failed (no certificate the CA signed, a protocol mismatch, a timeout). */
  | "tls handshake"
  /** HTTP/1.1 that is no snapshot channel upgrade, or malformed. */
  | "bad http"
  // the handshake (call metadata, TLS)
  | "no client certificate"
  /** No token, or not the token of the node the caller claims to be. */
  | "bad token"
  /** Under mutual TLS, a certificate that does not name the node the caller claims to be. */
  | "certificate mismatch"
  | "wrong cluster id"
  | "bad caller id"
  | "wrong target node"
  | "unknown node"
  // a frame on an accepted stream
  | "malformed frame"
  | "invalid messages"
  | "wrong sender"
  | "wrong recipient"
  | "oversized frame"
  // a snapshot request
  | "invalid snapshot request";

/** Why this node's call to a peer failed (logged on the calling side). */
export type RefusalReason = "refused by peer" | "peer identity mismatch" | "peer unreachable" | "stream broken";

/** Why `send()` dropped a message before it left this node. */
export type DropReason = "message too large" | "no address";
