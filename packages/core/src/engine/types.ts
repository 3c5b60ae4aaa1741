/**
 * The values the engine reads and writes. Plain data: every message and entry
 * can be encoded, compared and printed without methods.
 *
 * Terms and indices are non-negative safe integers; node ids are positive safe
 * integers. The engine trusts them: `@raft/core/contracts` validates bytes from
 * the outside world before they become these values.
 */

/** A node's identity in the cluster; a positive safe integer. */
export type NodeId = number;
/** A Raft term; 0 before any election. */
export type Term = number;
/** A log position; 0 means "before the first entry". */
export type Index = number;

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
  readonly vote: NodeId;
  readonly commit: Index;
}

export type Role = "follower" | "pre-candidate" | "candidate" | "leader";

/** Volatile state worth reporting; not persisted. */
export interface SoftState {
  readonly role: Role;
  /** The leader this node knows for its term, or 0. */
  readonly leader: NodeId;
}

/** The voters (and, later, learners) of a cluster configuration. */
export interface Membership {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** A linearizable read point: once `index` is applied locally, the read identified by `id` may be served. */
export interface ReadState {
  readonly id: number;
  readonly index: Index;
}

/** A read request the engine can no longer serve (leadership lost, no leader known). */
export interface DroppedRead {
  readonly id: number;
  readonly reason: "NotLeader" | "LeadershipLost";
  readonly leaderHint: NodeId;
}
