/**
 * The values the engine reads and writes. Plain data: every message and entry
 * can be encoded, compared and printed without methods.
 *
 * Terms, indices and node ids are branded numbers (`brands.ts`). The engine
 * trusts them: `@raft/core/contracts` validates bytes from the outside world
 * before they become these values.
 */

import type { Index, NodeId, Term } from "./brands.js";

export type { Index, NodeId, Term } from "./brands.js";

export type EntryKind = "normal" | "noop" | "config";

export interface Entry {
  readonly index: Index;
  readonly term: Term;
  readonly kind: EntryKind;
  /** Opaque command bytes for `normal`, an encoded configuration for `config`, empty for `noop`. */
  readonly data: Uint8Array;
}

/** What must be durable before any message that depends on it leaves the node. */
export interface HardState {
  readonly term: Term;
  /** The candidate voted for in `term`, or 0. */
  readonly vote: NodeId | 0;
  readonly commit: Index;
}

export type Role = "follower" | "pre-candidate" | "candidate" | "leader";

/** Volatile state worth reporting; not persisted. */
export interface SoftState {
  readonly role: Role;
  /** The leader this node knows for its term, or 0. */
  readonly leader: NodeId | 0;
}

/**
 * A cluster configuration: voters, and learners that receive the log but
 * count in no quorum. While a change is in flight the configuration is joint:
 * `outgoing` holds the previous voters, and every decision needs a majority
 * of both sets (§4.3 of the Raft thesis).
 */
export interface Membership {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** The previous voters while the configuration is joint; absent or empty otherwise. */
  readonly outgoing?: readonly NodeId[];
  /** Where members can be reached (node id → address), for transports that dial. */
  readonly addresses?: Readonly<Record<string, string>>;
}

/** One membership change; a second cannot start until the first is complete. */
export type MembershipChange =
  { readonly type: "addLearner"; readonly node: NodeId; readonly address?: string } | { readonly type: "promote"; readonly node: NodeId } | { readonly type: "remove"; readonly node: NodeId };

/** A linearizable read point: once `index` is applied locally, the read identified by `id` may be served. */
export interface ReadState {
  readonly id: number;
  readonly index: Index;
}

/** A read request the engine can no longer serve (leadership lost, no leader known). */
export interface DroppedRead {
  readonly id: number;
  readonly reason: "NotLeader" | "LeadershipLost";
  readonly leaderHint: NodeId | 0;
}

/** One file of a snapshot, as listed in its manifest. */
export interface SnapshotFile {
  readonly name: string;
  readonly size: number;
  /** SHA-256 of the file's bytes, lowercase hex. */
  readonly sha256: string;
}

/**
 * A snapshot's manifest: the state after applying every entry up to `index`
 * (of `term`), the membership at that point, and the files that hold it.
 * The id is derived from (index, term, sha256), so two nodes holding the same
 * state share ids and a transfer can resume from either.
 */
export interface SnapshotMeta {
  readonly id: string;
  readonly index: Index;
  readonly term: Term;
  readonly membership: Membership;
  readonly files: readonly SnapshotFile[];
  /** Total bytes of all files. */
  readonly size: number;
  /** SHA-256 over the file list (name, size, sha256 of each, in order), lowercase hex. */
  readonly sha256: string;
  /** Milliseconds since the epoch, on the node that took it. */
  readonly createdAt: number;
}

/** Where a follower reads a snapshot's bytes: from the sending peer, or straight from a URL. */
export type SnapshotSource = { readonly kind: "peer" } | { readonly kind: "url"; readonly url: string };

/** A small snapshot's bytes, carried inside InstallSnapshot (the embedded mode). */
export interface InlineFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** A follower must fetch, verify and restore this snapshot, then report with `snapshotInstalled` or `snapshotFailed`. */
export interface SnapshotToInstall {
  readonly meta: SnapshotMeta;
  readonly from: NodeId;
  readonly source: SnapshotSource;
  readonly inline: readonly InlineFile[] | undefined;
}
