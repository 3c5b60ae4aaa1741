import type { ReadIndexRequest, ReadIndexResponse } from "./messages.js";
import type { RaftState } from "./raft.js";
import { Index, type NodeId } from "./brands.js";
import type { DroppedRead } from "./types.js";

/** A read the leader is confirming: requested by `from` (possibly itself) with its id there. */
interface PendingRead {
  readonly id: number;
  readonly from: NodeId;
  readonly index: Index;
  /** The heartbeat round whose quorum acknowledgement confirms leadership. */
  readonly round: number;
}

/**
 * Linearizable reads in one place (§6.4 of the Raft thesis; etcd's
 * `read_only.go`). The leader answers a read with its commit index once it
 * knows it still leads: a read waits first for an entry of the leader's term
 * to commit (so the commit index is its own), then for a quorum to
 * acknowledge a heartbeat round started after the read arrived. With lease
 * reads, a recent enough acknowledgement answers at once. Followers forward
 * reads to their leader and hand its answers to the driver.
 *
 * This class holds the leader's bookkeeping; the functions below act on it.
 */
export class ReadOnly {
  /** The heartbeat round last started. */
  round = 0;
  /** With lease reads: the tick each round not yet superseded was sent at. */
  readonly roundSentAt = new Map<number, number>();
  /** Reads that arrived before the leader committed an entry of its term. */
  waitingForCommit: { id: number; from: NodeId }[] = [];
  /** Reads ordered by round. */
  waitingForQuorum: PendingRead[] = [];

  /** A new term or role: rounds start over (pending reads were dropped first). */
  reset(): void {
    this.round = 0;
    this.roundSentAt.clear();
  }
}

/** A read asked of this node (by a client here, or forwarded by `from`). */
export function requestRead(r: RaftState, id: number, from: NodeId): void {
  if (r.role === "leader") {
    if (r.log.term(r.log.committed) !== r.term) r.readOnly.waitingForCommit.push({ id, from });
    else beginRead(r, id, from);
  } else if (from !== r.id) {
    // A peer thinks we lead; we do not (any more).
    r.send({ type: "ReadIndexResp", to: from, id, index: Index.zero, reject: true });
  } else if (r.role === "follower" && r.lead !== 0) {
    r.send({ type: "ReadIndex", to: r.lead, id });
  } else {
    r.droppedReads.push({ id, reason: "NotLeader", leaderHint: r.lead });
  }
}

/** A forwarded read arrived. */
export function onReadIndexRequest(r: RaftState, m: ReadIndexRequest): void {
  requestRead(r, m.id, m.from);
}

/** The leader's answer to a read this node forwarded. */
export function onReadIndexResponse(r: RaftState, m: ReadIndexResponse): void {
  if (m.reject) r.droppedReads.push({ id: m.id, reason: "LeadershipLost", leaderHint: r.lead });
  else r.readStates.push({ id: m.id, index: m.index });
}

/** Leader: the first commit of its term lets the reads queued before it proceed. */
export function firstCommitOfTerm(r: RaftState): void {
  const waiting = r.readOnly.waitingForCommit;
  r.readOnly.waitingForCommit = [];
  for (const w of waiting) beginRead(r, w.id, w.from);
}

/** Leader: starts confirming a read whose index is the current commit. */
function beginRead(r: RaftState, id: number, from: NodeId): void {
  const index = r.log.committed;
  if (r.cluster.soleVoter(r.id) || leaseValid(r)) {
    releaseRead(r, { id, from, index });
    return;
  }
  r.readOnly.waitingForQuorum.push({ id, from, index, round: r.readOnly.round + 1 });
  r.needsHeartbeat = true;
}

/** Leader: a new heartbeat round; returns its number. */
export function startRound(r: RaftState): number {
  const ro = r.readOnly;
  ro.round++;
  if (r.settings.leaseRead) ro.roundSentAt.set(ro.round, r.ticks);
  return ro.round;
}

/** Leader: a quorum may now have acknowledged newer rounds; release the reads they confirm. */
export function roundAcknowledged(r: RaftState): void {
  const ro = r.readOnly;
  const acked = quorumAckedRound(r);
  // Rounds older than the confirmed one can no longer anchor a lease.
  for (const round of ro.roundSentAt.keys()) if (round < acked) ro.roundSentAt.delete(round);
  let n = 0;
  while (n < ro.waitingForQuorum.length && (ro.waitingForQuorum[n] as PendingRead).round <= acked) n++;
  if (n > 0) for (const read of ro.waitingForQuorum.splice(0, n)) releaseRead(r, read);
}

/**
 * With lease reads: a quorum acknowledged a heartbeat sent less than an
 * election timeout ago (one tick spare for misaligned tick phases). Those
 * followers refuse votes until their election timeout runs out, so no other
 * leader can exist yet. Never during a leadership transfer.
 */
function leaseValid(r: RaftState): boolean {
  if (!r.settings.leaseRead || r.leadTransferee !== 0) return false;
  const sentAt = r.readOnly.roundSentAt.get(quorumAckedRound(r));
  return sentAt !== undefined && r.ticks - sentAt < r.settings.electionTicks - 1;
}

/** Rejects every pending read: leadership is lost (or never was). */
export function dropReads(r: RaftState, reason: DroppedRead["reason"]): void {
  const ro = r.readOnly;
  const all = [...ro.waitingForCommit, ...ro.waitingForQuorum];
  ro.waitingForCommit = [];
  ro.waitingForQuorum = [];
  for (const read of all) {
    if (read.from === r.id) r.droppedReads.push({ id: read.id, reason, leaderHint: 0 });
    else r.send({ type: "ReadIndexResp", to: read.from, id: read.id, index: Index.zero, reject: true });
  }
}

/** The highest heartbeat round a quorum has acknowledged (the leader's own is the latest). */
function quorumAckedRound(r: RaftState): number {
  return r.cluster.quorumValue((id) => (id === r.id ? r.readOnly.round : (r.progress.get(id)?.ackedRound ?? 0)));
}

function releaseRead(r: RaftState, read: { id: number; from: NodeId; index: Index }): void {
  if (read.from === r.id) r.readStates.push({ id: read.id, index: read.index });
  else r.send({ type: "ReadIndexResp", to: read.from, id: read.id, index: read.index, reject: false });
}
