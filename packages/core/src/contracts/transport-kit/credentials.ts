import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import { NodeId } from "../../engine/index.js";

/**
 * Node identity bound to credentials, for every network transport. A peer
 * that claims node id X must present credentials for X:
 *
 * - **Tokens.** Nodes share a cluster secret (`auth.token`) but never send
 *   it. Each presents its own token, `nodeToken(secret, clusterId, id)`: an
 *   HMAC-SHA256 of its cluster and id under the secret. A token seen on the
 *   wire (or taken from one node's traffic) speaks for that node only.
 * - **Certificates.** Under mutual TLS a caller's certificate must name its
 *   node and cluster: a subject alternative name `URI:raft://<clusterId>/<id>`,
 *   or that same text as the subject's CN (`certificateNodeIds`).
 *
 * Comparisons take constant time whatever the lengths (`secretsEqual`).
 */

/** Constant time whatever the lengths: compares SHA-256 digests, never the secrets themselves. */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash("sha256").update(presented, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

/** The token node `id` of cluster `clusterId` presents: base64url HMAC-SHA256 under the cluster secret (43 characters). */
export function nodeToken(secret: string, clusterId: string, id: NodeId): string {
  return createHmac("sha256", secret).update(`raft node token v1\0${clusterId}\0${id}`).digest("base64url");
}

/** Whether `presented` is the token of node `claimed` (constant time). */
export function isNodeToken(presented: string, secret: string, clusterId: string, claimed: NodeId): boolean {
  return secretsEqual(presented, nodeToken(secret, clusterId, claimed));
}

/** The identity a certificate for node `id` of cluster `clusterId` must carry (as a SAN URI, or its CN). */
export function certificateIdentity(clusterId: string, id: NodeId): string {
  return `raft://${clusterId}/${id}`;
}

const IDENTITY = /^raft:\/\/([A-Za-z0-9._-]{1,64})\/([1-9]\d{0,15})$/;

/** The node ids of `clusterId` that a certificate names (SAN URIs, and the CN). Usually one; none for a certificate of no node. */
export function certificateNodeIds(cert: Pick<PeerCertificate, "subject" | "subjectaltname"> | undefined, clusterId: string): NodeId[] {
  if (cert === undefined) return [];
  const names: string[] = [];
  for (const part of (cert.subjectaltname ?? "").split(/,\s*/)) if (part.startsWith("URI:")) names.push(part.slice(4));
  const cn = cert.subject?.CN;
  for (const name of Array.isArray(cn) ? cn : cn === undefined ? [] : [cn]) names.push(name);
  const ids: NodeId[] = [];
  for (const name of names) {
    const m = IDENTITY.exec(name);
    const id = Number(m?.[2]);
    if (m !== null && m[1] === clusterId && NodeId.is(id)) ids.push(id);
  }
  return ids;
}

/** Why a caller claiming `claimed` is refused, or undefined if its certificate names it. */
export function certificateMismatch(cert: Pick<PeerCertificate, "subject" | "subjectaltname"> | undefined, clusterId: string, claimed: NodeId): string | undefined {
  const ids = certificateNodeIds(cert, clusterId);
  if (ids.includes(claimed)) return undefined;
  return ids.length === 0
    ? `the certificate names no node of cluster ${clusterId} (expected ${certificateIdentity(clusterId, claimed)})`
    : `the certificate is node ${ids.join(", ")}'s, not node ${claimed}'s`;
}
