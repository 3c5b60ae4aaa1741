import type { IncomingHttpHeaders } from "node:http";
import type { PeerCertificate } from "node:tls";
import { certificateMismatch, isNodeToken, NodeId, parseAddress } from "@raft/core/contracts";
import type { ConnectionRejectReason } from "./rejection.js";

/**
 * The WebSocket subprotocol: names this transport and its envelope version.
 * A listener refuses an upgrade that does not offer it.
 */
export const SUBPROTOCOL = "raft-ws.v1";

/** Upgrade request headers (dialer → listener) and response headers (listener → dialer). */
export const HEADERS = {
  cluster: "x-raft-cluster",
  /** Request: the dialer's node id. Response: the listener's. */
  node: "x-raft-node",
  /** Request: the node the dialer means to reach. */
  target: "x-raft-target",
  /** Request: where the dialer can be dialed back (optional). */
  address: "x-raft-address",
  /** Response to a refused upgrade: the reason. */
  reject: "x-raft-reject",
} as const;

export interface LocalIdentity {
  readonly id: NodeId;
  readonly clusterId: string;
  /** This node's own token (`nodeToken` of the cluster secret), presented when dialing. */
  readonly token: string | undefined;
  /** Sent by a dialer so the listener can dial back; undefined when there is none to give. */
  readonly advertise?: string | undefined;
}

/** What a dialer sends with its upgrade request. */
export function dialHeaders(local: LocalIdentity, target: NodeId): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.cluster]: local.clusterId,
    [HEADERS.node]: String(local.id),
    [HEADERS.target]: String(target),
  };
  if (local.token !== undefined) headers.authorization = `Bearer ${local.token}`;
  if (local.advertise !== undefined) headers[HEADERS.address] = local.advertise;
  return headers;
}

export type UpgradeVerdict =
  | { readonly ok: true; readonly peer: NodeId; readonly advertised: string | undefined }
  | { readonly ok: false; readonly status: number; readonly reason: ConnectionRejectReason; readonly detail: string };

/** What a listener requires of dialers, beyond the headers every dialer sends. */
export interface PeerCredentials {
  /** The cluster secret, if dialers must present their node's token. */
  readonly secret: string | undefined;
  /** Mutual TLS: the dialer's certificate (verified by the TLS layer) must name the node it claims to be. */
  readonly requireClientCert: boolean;
}

const refuse = (status: number, reason: ConnectionRejectReason, detail: string): UpgradeVerdict => ({ ok: false, status, reason, detail });

/**
 * Decides an upgrade request from its headers and the dialer's certificate
 * (TLS, when configured, verified it before). Authentication comes first,
 * so an unauthenticated dialer learns nothing about the cluster. The node id
 * a dialer claims is bound to its credentials: its token must be that
 * node's token, and under mTLS its certificate must name that node.
 */
export function checkUpgrade(...args: Parameters<typeof checkPeer>): UpgradeVerdict {
  const protocols = (args[0]["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
  if (!protocols.includes(SUBPROTOCOL)) return refuse(400, "protocol", `the upgrade does not offer subprotocol ${SUBPROTOCOL}`);
  return checkPeer(...args);
}

/** `checkUpgrade` without the WebSocket subprotocol: who the dialer is, for any upgrade (the snapshot channel's too). */
export function checkPeer(
  headers: IncomingHttpHeaders,
  certificate: PeerCertificate | undefined,
  local: LocalIdentity,
  credentials: PeerCredentials,
  isKnownPeer: ((id: NodeId) => boolean) | undefined,
): UpgradeVerdict {
  const claimed = nodeIdHeader(headers, HEADERS.node);
  if (credentials.secret !== undefined) {
    const auth = headers.authorization;
    if (auth === undefined || !auth.startsWith("Bearer ")) return refuse(401, "missing-token", "no bearer token");
    // A token of another node (stolen, or misconfigured) fails here like any wrong token.
    if (claimed === undefined || !isNodeToken(auth.slice("Bearer ".length), credentials.secret, local.clusterId, claimed)) {
      return refuse(401, "wrong-token", `the bearer token is not node ${claimed ?? "?"}'s`);
    }
  }
  const cluster = header(headers, HEADERS.cluster);
  if (cluster !== local.clusterId) return refuse(403, "wrong-cluster", `the dialer is not in cluster ${local.clusterId}`);
  const peer = claimed;
  if (peer === undefined || peer === local.id) return refuse(403, "bad-node-id", `missing, malformed, or this node's own id in ${HEADERS.node}`);
  if (credentials.requireClientCert) {
    const mismatch = certificateMismatch(certificate, local.clusterId, peer);
    if (mismatch !== undefined) return refuse(403, "certificate-mismatch", mismatch);
  }
  if (isKnownPeer !== undefined && !isKnownPeer(peer)) return refuse(403, "unknown-peer", `node ${peer} is not in the address book`);
  if (nodeIdHeader(headers, HEADERS.target) !== local.id) return refuse(403, "wrong-target", `node ${peer} meant another node than ${local.id}`);
  const advertised = header(headers, HEADERS.address);
  // An address that does not parse is not worth refusing the peer for: it is only a hint to dial back.
  return { ok: true, peer, advertised: advertised !== undefined && parseAddress(advertised) !== undefined ? advertised : undefined };
}

/** Checks the listener's response headers: the dialer reached the node and cluster it meant. */
export function checkAccepted(headers: IncomingHttpHeaders, local: LocalIdentity, target: NodeId): string | undefined {
  if (header(headers, HEADERS.cluster) !== local.clusterId) return `the listener is not in cluster ${local.clusterId}`;
  if (nodeIdHeader(headers, HEADERS.node) !== target) return `the listener is not node ${target}`;
  return undefined;
}

/** The listener's identity, added to the 101 response. */
export function acceptHeaders(local: LocalIdentity): string[] {
  return [`X-Raft-Cluster: ${local.clusterId}`, `X-Raft-Node: ${local.id}`];
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === "string" ? v : undefined;
}

function nodeIdHeader(headers: IncomingHttpHeaders, name: string): NodeId | undefined {
  const v = header(headers, name);
  if (v === undefined || !/^[1-9]\d{0,15}$/.test(v)) return undefined;
  const id = Number(v);
  return NodeId.is(id) ? id : undefined;
}
