import type { PeerCertificate } from "node:tls";
import { Metadata, status } from "@grpc/grpc-js";
import { certificateMismatch, isAddress, isNodeToken, NodeId } from "@raft/core/contracts";
import type { RejectionReason } from "./rejections.js";

/** Metadata keys: what each call carries, and what an accepting server answers. */
export const META = {
  clusterId: "raft-cluster-id",
  from: "raft-from",
  to: "raft-to",
  address: "raft-address",
  token: "raft-token",
  nodeId: "raft-node-id",
  errorCode: "raft-error-code",
} as const;

export interface CallerIdentity {
  readonly clusterId: string;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly address: string | undefined;
  /** This node's own token (`nodeToken` of the cluster secret), if the cluster has one. */
  readonly token: string | undefined;
}

export function callerMetadata(c: CallerIdentity): Metadata {
  const md = new Metadata();
  md.set(META.clusterId, c.clusterId);
  md.set(META.from, String(c.from));
  md.set(META.to, String(c.to));
  if (c.address !== undefined) md.set(META.address, c.address);
  if (c.token !== undefined) md.set(META.token, c.token);
  return md;
}

/** What a server sends first on a call it accepts: who it is. */
export function serverMetadata(clusterId: string, self: NodeId): Metadata {
  const md = new Metadata();
  md.set(META.clusterId, clusterId);
  md.set(META.nodeId, String(self));
  return md;
}

/** What grpc-js tells a handler about the connection (its `AuthContext`, which it does not export). */
export interface ConnectionAuth {
  readonly sslPeerCertificate?: PeerCertificate;
}

export interface HandshakePolicy {
  readonly self: NodeId;
  readonly clusterId: string;
  /** The cluster secret, if callers must present their node's token. */
  readonly secret: string | undefined;
  /** Mutual TLS: a caller's certificate must verify and name the node it claims to be. */
  readonly requireClientCert: boolean;
  /** Whether `id` may call this node (see the `acceptUnknownPeers` option). */
  isKnown(id: NodeId): boolean;
}

export type CallerVerdict =
  | { readonly ok: true; readonly caller: NodeId; readonly address: string | undefined }
  | { readonly ok: false; readonly reason: RejectionReason; readonly code: status; readonly details: string; readonly caller: string | undefined };

/** The one value of `key`, if it is there exactly once and is text. */
function single(md: Metadata, key: string): string | undefined {
  const values = md.get(key);
  return values.length === 1 && typeof values[0] === "string" ? values[0] : undefined;
}

function nodeId(value: string | undefined): NodeId | undefined {
  if (value === undefined || !/^[1-9]\d{0,15}$/.test(value)) return undefined;
  const n = Number(value);
  return NodeId.is(n) ? n : undefined;
}

/**
 * Decides whether a call may proceed. Authentication comes first (client
 * certificate, token), so an unauthenticated caller learns nothing about
 * the cluster; the details returned to the caller say no more than needed.
 * The node id a caller claims is bound to its credentials: its token must be
 * that node's token, and under mutual TLS its certificate must name that node.
 */
export function checkCaller(md: Metadata, auth: ConnectionAuth | null, policy: HandshakePolicy): CallerVerdict {
  const claimed = single(md, META.from)?.slice(0, 20);
  const refuse = (reason: RejectionReason, code: status, details: string): CallerVerdict => ({ ok: false, reason, code, details, caller: claimed });
  // grpc-js reports a peer certificate only when it verified against the CA.
  if (policy.requireClientCert && auth?.sslPeerCertificate === undefined) return refuse("no client certificate", status.UNAUTHENTICATED, "a client certificate signed by the cluster's CA is required");
  const claimedId = nodeId(single(md, META.from));
  if (policy.secret !== undefined) {
    // A token of another node (stolen, or misconfigured) fails here like any wrong token.
    const token = single(md, META.token);
    if (token === undefined || claimedId === undefined || !isNodeToken(token, policy.secret, policy.clusterId, claimedId)) return refuse("bad token", status.UNAUTHENTICATED, "unauthenticated");
  }
  if (single(md, META.clusterId) !== policy.clusterId) return refuse("wrong cluster id", status.PERMISSION_DENIED, `this node belongs to cluster ${policy.clusterId}`);
  const caller = claimedId;
  if (caller === undefined || caller === policy.self) return refuse("bad caller id", status.INVALID_ARGUMENT, `${META.from} must be the caller's node id`);
  if (policy.requireClientCert) {
    const mismatch = certificateMismatch(auth?.sslPeerCertificate, policy.clusterId, caller);
    if (mismatch !== undefined) return refuse("certificate mismatch", status.UNAUTHENTICATED, `the client certificate does not name node ${caller}`);
  }
  if (nodeId(single(md, META.to)) !== policy.self) return refuse("wrong target node", status.FAILED_PRECONDITION, `this is node ${policy.self}`);
  if (!policy.isKnown(caller)) return refuse("unknown node", status.PERMISSION_DENIED, `node ${caller} is not a known member`);
  const address = single(md, META.address);
  return { ok: true, caller, address: isAddress(address) ? address : undefined };
}

/** Whether an accepting server's first metadata names the node and cluster the caller meant to reach. */
export function checkServer(md: Metadata, clusterId: string, expected: NodeId): string | undefined {
  if (single(md, META.clusterId) !== clusterId) return `peer answered for cluster ${JSON.stringify(single(md, META.clusterId)?.slice(0, 64))}, not ${clusterId}`;
  const id = nodeId(single(md, META.nodeId));
  if (id !== expected) return `peer at this address is node ${id ?? "?"}, not node ${expected}`;
  return undefined;
}
