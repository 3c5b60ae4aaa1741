import type { Append, Heartbeat, InstallSnapshot, Message } from "../messages.js";
import type { RaftState } from "../raft.js";
import { Index, Term } from "../brands.js";
import { onReadIndexRequest, onReadIndexResponse } from "../read-only.js";

/** Followers and (pre-)candidates count down to an election. */
export function tickElection(r: RaftState): void {
  r.electionElapsed++;
  if (r.electionElapsed >= r.randomizedElectionTimeout && r.isVoter()) {
    r.electionElapsed = 0;
    r.campaign(r.settings.preVote ? "pre" : "election");
  }
}

export function stepFollower(r: RaftState, m: Message): void {
  switch (m.type) {
    case "Append":
      r.electionElapsed = 0;
      r.lead = m.from;
      return handleAppend(r, m);
    case "Heartbeat":
      r.electionElapsed = 0;
      r.lead = m.from;
      return handleHeartbeat(r, m);
    case "InstallSnapshot":
      r.electionElapsed = 0;
      r.lead = m.from;
      return handleInstallSnapshot(r, m);
    case "TimeoutNow":
      // §3.10 of the thesis: the leader chose us; campaign at once, past any lease.
      return r.campaign("transfer");
    case "ReadIndex":
      return onReadIndexRequest(r, m);
    case "ReadIndexResp":
      return onReadIndexResponse(r, m);
    default:
      return;
  }
}

/** §5.3: accept entries that extend a matching prefix; otherwise reject with a hint. */
export function handleAppend(r: RaftState, m: Append): void {
  if (m.prevIndex < r.log.committed) {
    // Everything up to our commit index already matches the leader's log.
    r.send({ type: "AppendResp", to: m.from, reject: false, index: r.log.committed, hintIndex: Index.zero, hintTerm: Term.zero });
    return;
  }
  const lastNew = r.log.maybeAppend(m.prevIndex, m.prevTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send({ type: "AppendResp", to: m.from, reject: false, index: lastNew, hintIndex: Index.zero, hintTerm: Term.zero });
    return;
  }
  const hint = r.log.findConflictByTerm(Index.of(Math.min(m.prevIndex, r.log.lastIndex())), m.prevTerm);
  r.send({ type: "AppendResp", to: m.from, reject: true, index: m.prevIndex, hintIndex: hint.index, hintTerm: hint.term });
}

/**
 * §7: a snapshot not newer than our commit index changes nothing (tell the
 * leader where we are); the one already being installed continues; an older
 * one is ignored; otherwise the driver starts fetching it, superseding any
 * older install.
 */
export function handleInstallSnapshot(r: RaftState, m: InstallSnapshot): void {
  const snap = m.snapshot;
  if (snap.index <= r.log.committed) {
    r.send({ type: "InstallSnapshotResp", to: m.from, index: r.log.committed, reject: false });
    return;
  }
  const current = r.installing?.meta;
  if (current !== undefined && (current.id === snap.id || current.index > snap.index)) return;
  r.installing = { meta: snap, from: m.from, source: m.source, inline: m.inline };
  r.installRequested = true;
}

export function handleHeartbeat(r: RaftState, m: Heartbeat): void {
  r.log.commitTo(m.commit);
  r.send({ type: "HeartbeatResp", to: m.from, round: m.round });
}
