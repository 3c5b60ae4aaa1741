import type { Message, VoteRequest } from "./messages.js";
import type { RaftState } from "./raft.js";
import { Index, Term } from "./brands.js";
import { stepCandidate } from "./roles/candidate.js";
import { stepFollower } from "./roles/follower.js";
import { stepLeader } from "./roles/leader.js";

/** Handles one message from a peer: term rules first (§5.1), then votes, then the role's own logic. */
export function step(r: RaftState, m: Message): void {
  // A candidate's own vote comes back to it once durable; no other message to itself is meaningful.
  if (m.to !== r.id || (m.from === r.id && m.type !== "VoteResp")) return;
  if (m.term > r.term) {
    if (!onHigherTerm(r, m)) return;
  } else if (m.term < r.term) {
    onLowerTerm(r, m);
    return;
  }
  if (m.type === "PreVote" || m.type === "Vote") return handleVoteRequest(r, m);
  switch (r.role) {
    case "leader":
      return stepLeader(r, m);
    case "candidate":
    case "pre-candidate":
      return stepCandidate(r, m);
    case "follower":
      return stepFollower(r, m);
  }
}

/** Returns false when the message must be ignored. */
function onHigherTerm(r: RaftState, m: Message): boolean {
  if (m.type === "PreVote" || m.type === "Vote") {
    // While our leader's lease holds (check-quorum), a vote request is a disruption, unless it comes from a transfer.
    // With lease reads, a node that restarted may have acknowledged a lease before it went down: it too waits.
    const heardLeader = r.lead !== 0 || (r.restartedWithLease && r.ticks < r.settings.electionTicks);
    const inLease = r.settings.checkQuorum && heardLeader && r.electionElapsed < r.settings.electionTicks;
    if (inLease && !m.transfer) return false;
  }
  if (m.type === "PreVote") return true; // a pre-vote never changes our term
  if (m.type === "PreVoteResp" && !m.reject) return true; // granted for the term we will campaign in
  const fromLeader = m.type === "Append" || m.type === "Heartbeat" || m.type === "InstallSnapshot";
  r.becomeFollower(m.term, fromLeader ? m.from : 0);
  return true;
}

function onLowerTerm(r: RaftState, m: Message): void {
  if (m.type === "Append" || m.type === "Heartbeat" || m.type === "InstallSnapshot") {
    // §5.1: reject a stale leader, telling it our term so it steps down.
    r.send({ type: "AppendResp", to: m.from, reject: false, index: Index.zero, hintIndex: Index.zero, hintTerm: Term.zero });
  } else if (m.type === "PreVote") {
    r.send({ type: "PreVoteResp", to: m.from, reject: true });
  }
}

/** §5.2, §5.4.1: grant at most one vote per term, and only to a candidate whose log is at least as up to date. */
function handleVoteRequest(r: RaftState, m: VoteRequest): void {
  const respType = m.type === "PreVote" ? "PreVoteResp" : "VoteResp";
  const canVote = r.vote === m.from || (r.vote === 0 && r.lead === 0) || (m.type === "PreVote" && m.term > r.term);
  if (canVote && r.log.isUpToDate(m.lastIndex, m.lastTerm)) {
    // A granted pre-vote answers in the term asked about; the candidate checks it.
    r.send({ type: respType, to: m.from, term: m.term, reject: false });
    if (m.type === "Vote") {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.send({ type: respType, to: m.from, reject: true });
  }
}
