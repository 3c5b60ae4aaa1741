import type { Entry, Index, InlineFile, NodeId, SnapshotMeta, SnapshotSource, Term } from "./types.js";

/** Fields every message carries. `term` is the sender's term (for PreVote: the term it would campaign in). */
interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

/** A (pre-)candidate asks for a vote. `transfer` marks a campaign started by leadership transfer, which overrides leases. */
export interface VoteRequest extends Envelope {
  readonly type: "PreVote" | "Vote";
  readonly lastIndex: Index;
  readonly lastTerm: Term;
  readonly transfer: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: "PreVoteResp" | "VoteResp";
  readonly reject: boolean;
}

/** Leader → follower: entries after (prevIndex, prevTerm), and the leader's commit index. */
export interface Append extends Envelope {
  readonly type: "Append";
  readonly prevIndex: Index;
  readonly prevTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: Index;
}

/**
 * Follower → leader. On success `index` is the follower's last index matching
 * the leader. On rejection `index` is the rejected `prevIndex` and
 * (`hintIndex`, `hintTerm`) the follower's best guess at a matching position:
 * the largest index ≤ hintIndex whose term ≤ the leader's prevTerm.
 */
export interface AppendResponse extends Envelope {
  readonly type: "AppendResp";
  readonly reject: boolean;
  readonly index: Index;
  readonly hintIndex: Index;
  readonly hintTerm: Term;
}

/** Leader → follower liveness; `round` numbers the heartbeat round that confirms pending reads. */
export interface Heartbeat extends Envelope {
  readonly type: "Heartbeat";
  readonly commit: Index;
  readonly round: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: "HeartbeatResp";
  readonly round: number;
}

/** Follower → leader: a read forwarded for a ReadIndex. `id` is the follower's own request id. */
export interface ReadIndexRequest extends Envelope {
  readonly type: "ReadIndex";
  readonly id: number;
}

/** Leader → follower: the read index for a forwarded request, or a rejection. */
export interface ReadIndexResponse extends Envelope {
  readonly type: "ReadIndexResp";
  readonly id: number;
  readonly index: Index;
  readonly reject: boolean;
}

/** Leader → transfer target: start an election now. */
export interface TimeoutNow extends Envelope {
  readonly type: "TimeoutNow";
}

/**
 * Leader → follower: the entries the follower needs were compacted; install
 * this snapshot. Carries only the manifest and a source, unless the snapshot
 * is small enough to travel `inline`.
 */
export interface InstallSnapshot extends Envelope {
  readonly type: "InstallSnapshot";
  readonly snapshot: SnapshotMeta;
  readonly source: SnapshotSource;
  readonly inline?: readonly InlineFile[];
}

/** Follower → leader: the snapshot at `index` is installed (or, with `reject`, could not be). */
export interface InstallSnapshotResponse extends Envelope {
  readonly type: "InstallSnapshotResp";
  readonly index: Index;
  readonly reject: boolean;
}

export type Message =
  VoteRequest | VoteResponse | Append | AppendResponse | Heartbeat | HeartbeatResponse | ReadIndexRequest | ReadIndexResponse | TimeoutNow | InstallSnapshot | InstallSnapshotResponse;

export type MessageType = Message["type"];
