import { notLeader, RaftError } from "../errors.js";
import type { AppendResponse, HeartbeatResponse, InstallSnapshotResponse, Message } from "../messages.js";
import { onReadIndexRequest, roundAcknowledged, startRound } from "../read-only.js";
import type { RaftState } from "../raft.js";
import { encodeMembership } from "../cluster-config.js";
import type { Progress } from "../progress.js";
import { Index, type NodeId, type Term } from "../brands.js";
import type { Entry, MembershipChange, SnapshotMeta } from "../types.js";

/** About the most entry bytes a probe carries: it mostly asks where the follower's log matches ours. */
const PROBE_BYTES = 64 << 10;

/**
 * Sends `to` what it lacks from its `next` index, unless its progress is
 * paused. A probe (one at a time, until its answer or the next heartbeat)
 * carries at most a few entries, and only ones held in memory: finding the
 * follower's match never reads storage. In replicate state the entries come
 * from memory or, within this turn's read budget, from storage. With
 * `sendIfEmpty`, an append with no entries still goes out (to carry the
 * commit index).
 */
export function maybeSendAppend(r: RaftState, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = Index.of(pr.next - 1);
  const prevTerm = r.log.term(prevIndex);
  const probe = pr.state === "probe";
  let maxBytes = probe ? Math.min(PROBE_BYTES, r.settings.maxMsgBytes) : r.settings.maxMsgBytes;
  let maxCount = r.settings.maxMsgEntries;
  if (prevTerm !== undefined && !r.log.inMemory(pr.next)) {
    if (probe) return sendAppend(r, to, prevIndex, prevTerm, []);
    const wait = r.log.storageWait(pr.next);
    if (wait !== undefined) {
      if (wait === "turn") r.catchUpDeferred = true;
      else r.catchUpWaiting = true;
      return false;
    }
    // A storage read never goes past what is left of this turn's budget.
    const allowance = r.log.readAllowance();
    maxBytes = Math.min(maxBytes, allowance.bytes);
    maxCount = Math.min(maxCount, allowance.entries);
  }
  const entries = prevTerm === undefined ? undefined : r.log.slice(pr.next, Index.of(r.log.lastIndex() + 1), maxBytes, maxCount);
  if (prevTerm === undefined || entries === undefined) {
    // The entries the follower needs were compacted: only a snapshot can help it.
    if (r.latestSnapshot !== undefined) sendSnapshot(r, to, r.latestSnapshot);
    return false;
  }
  if (entries.length === 0 && !sendIfEmpty && !probe) return false;
  return sendAppend(r, to, prevIndex, prevTerm, entries);
}

function sendAppend(r: RaftState, to: NodeId, prevIndex: Index, prevTerm: Term, entries: Entry[]): true {
  let bytes = 0;
  for (const e of entries) bytes += e.data.length;
  (r.progress.get(to) as Progress).sentAppend(Index.of(prevIndex + entries.length), entries.length, bytes);
  r.send({ type: "Append", to, prevIndex, prevTerm, entries, commit: r.log.committed });
  return true;
}

/** Fills each follower's window: several messages when entries exceed one message's limits. */
function fillWindows(r: RaftState, sendIfEmpty: boolean): void {
  for (const id of r.progress.keys()) {
    if (id !== r.id && maybeSendAppend(r, id, sendIfEmpty)) while (maybeSendAppend(r, id, false));
  }
}

/** Offers `to` a snapshot; its progress waits in the snapshot state until the follower reports. */
function sendSnapshot(r: RaftState, to: NodeId, snapshot: SnapshotMeta): void {
  r.progress.get(to)?.becomeSnapshot(snapshot, r.ticks);
  r.send({ type: "InstallSnapshot", to, snapshot, source: { kind: "peer" } });
}

/** Sends pending entries (and the commit index, when it moved) to every follower. */
export function broadcastAppend(r: RaftState): void {
  fillWindows(r, r.commitChanged);
  r.needsBroadcast = false;
  r.commitChanged = false;
}

/** Goes on with the catch-up reads that the last turn's read budget put off. */
export function continueCatchUp(r: RaftState): void {
  r.catchUpDeferred = false;
  fillWindows(r, false);
}

/** Starts a new heartbeat round to every follower. */
export function broadcastHeartbeat(r: RaftState): void {
  const round = startRound(r);
  r.needsHeartbeat = false;
  for (const [id, pr] of r.progress) {
    if (id === r.id) continue;
    // Never tell a follower to commit past what it is known to hold.
    r.send({ type: "Heartbeat", to: id, commit: Index.of(Math.min(pr.match, r.log.committed)), round });
  }
}

export function tickLeader(r: RaftState): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.settings.electionTicks) {
    r.electionElapsed = 0;
    if (r.settings.checkQuorum) {
      const active = r.cluster.quorumActive((id) => id === r.id || r.progress.get(id)?.recentActive === true);
      for (const [id, pr] of r.progress) pr.recentActive = id === r.id;
      if (!active) {
        r.becomeFollower(r.term, 0);
        return;
      }
    }
    // A transfer that has not completed within an election timeout is abandoned.
    r.leadTransferee = 0;
  }
  if (r.heartbeatElapsed >= r.settings.heartbeatTicks) {
    r.heartbeatElapsed = 0;
    broadcastHeartbeat(r);
  }
}

export function stepLeader(r: RaftState, m: Message): void {
  switch (m.type) {
    case "AppendResp":
      return onAppendResponse(r, m);
    case "HeartbeatResp":
      return onHeartbeatResponse(r, m);
    case "ReadIndex":
      return onReadIndexRequest(r, m);
    case "InstallSnapshotResp":
      return onInstallSnapshotResponse(r, m);
    default:
      return; // Votes were answered in step(); nothing else concerns a leader of this term.
  }
}

function onAppendResponse(r: RaftState, m: AppendResponse): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (m.reject) {
    // Skip every entry of a term the follower cannot match, in one step.
    const probe = r.log.findConflictByTerm(m.hintIndex, m.hintTerm).index;
    if (pr.maybeDecrTo(m.index, probe)) {
      if (pr.state === "replicate") pr.becomeProbe();
      maybeSendAppend(r, m.from, true);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  // An acknowledged probe at the known match also proves the follower's position.
  const probeAcked = pr.state === "probe" && m.index === pr.match;
  if (!pr.maybeUpdate(m.index) && !probeAcked) return;
  // The follower caught up some other way (an earlier install, or a newer leader's entries).
  if (pr.state === "snapshot" && pr.match >= (pr.snapshot?.index ?? 0)) pr.becomeProbe();
  if (pr.state === "probe") pr.becomeReplicate();
  else if (pr.state === "replicate") pr.inflights.freeLE(m.index);
  if (r.maybeCommit()) {
    broadcastAppend(r);
  } else {
    // Keep the pipeline full; a follower that was paused may also have missed the commit index.
    if (maybeSendAppend(r, m.from, wasPaused)) while (maybeSendAppend(r, m.from, false));
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) {
    r.send({ type: "TimeoutNow", to: m.from });
  }
}

function onHeartbeatResponse(r: RaftState, m: HeartbeatResponse): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.probeSent = false;
  // A lost append may have left the window full: free one slot so replication can retry.
  if (pr.state === "replicate" && pr.inflights.full()) pr.inflights.freeFirst();
  if (pr.state === "snapshot") {
    // The offer or its answer may have been lost: offer the same snapshot again, now and then.
    if (pr.snapshot !== undefined && r.ticks - pr.snapshotSentAt >= r.settings.snapshotRetryTicks) sendSnapshot(r, m.from, pr.snapshot);
  } else if (pr.match < r.log.lastIndex()) maybeSendAppend(r, m.from, true);
  if (m.round > pr.ackedRound) {
    pr.ackedRound = m.round;
    roundAcknowledged(r);
  }
}

/** The follower installed a snapshot (resume appending after it) or gave up (retry from the next heartbeat). */
function onInstallSnapshotResponse(r: RaftState, m: InstallSnapshotResponse): void {
  const pr = r.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (m.reject) {
    if (pr.state === "snapshot") pr.becomeProbe();
    return;
  }
  pr.maybeUpdate(m.index);
  if (pr.state === "snapshot") pr.becomeProbe();
  maybeSendAppend(r, m.from, true);
}

/** Leader: a local proposal. Throws a typed error when it cannot be accepted. */
export function proposeAsLeader(r: RaftState, items: readonly { kind: "normal"; data: Uint8Array }[]): Index {
  if (r.role !== "leader") throw notLeader(r.lead);
  if (r.leadTransferee !== 0) {
    throw new RaftError("ProposalDropped", `leadership is being transferred to node ${r.leadTransferee}`, { leaderHint: r.leadTransferee });
  }
  let bytes = 0;
  for (const it of items) bytes += it.data.length;
  if (r.uncommittedBytes > 0 && r.uncommittedBytes + bytes > r.settings.maxUncommittedBytes) {
    throw new RaftError("ProposalDropped", `${r.uncommittedBytes} bytes are uncommitted (limit ${r.settings.maxUncommittedBytes})`, { leaderHint: r.id });
  }
  // The leader counts itself toward the quorum only once the entries are durable: see advance().
  return r.appendEntries(items);
}

/** Leader: proposes one membership change; another waits until this one (and its joint phase) is applied. */
export function proposeMembership(r: RaftState, change: MembershipChange): Index {
  if (r.role !== "leader") throw notLeader(r.lead);
  if (r.leadTransferee !== 0) throw new RaftError("ProposalDropped", `leadership is being transferred to node ${r.leadTransferee}`, { leaderHint: r.leadTransferee });
  if (r.pendingConfIndex > r.log.applied) {
    throw new RaftError("ConfigChangeInProgress", `the membership change at ${r.pendingConfIndex} is not applied yet`);
  }
  const next = r.cluster.apply(change);
  r.pendingConfIndex = r.appendEntries([{ kind: "config", data: encodeMembership(next) }]);
  return r.pendingConfIndex;
}

export function transferLeadership(r: RaftState, to: NodeId): void {
  if (r.role !== "leader") throw notLeader(r.lead);
  if (to === r.id || !r.isVoter(to)) {
    throw new RaftError("InvalidConfig", `cannot transfer leadership to node ${to}: not another voter`);
  }
  if (r.leadTransferee === to) return;
  r.leadTransferee = to;
  r.electionElapsed = 0;
  const pr = r.progress.get(to);
  if (pr !== undefined && pr.match === r.log.lastIndex()) r.send({ type: "TimeoutNow", to });
  else maybeSendAppend(r, to, true);
}
