import { resolveEngineConfig, type EngineConfig, type ResolvedEngineConfig } from "./config.js";
import type { Message } from "./messages.js";
import { Prng } from "./prng.js";
import { Progress } from "./progress.js";
import { ClusterConfig, encodeMembership } from "./cluster-config.js";
import type { VoteResult } from "./quorum.js";
import { RaftLog } from "./raft-log.js";
import { dropReads, firstCommitOfTerm, ReadOnly } from "./read-only.js";
import { Index, Term, type NodeId } from "./brands.js";
import type { DroppedRead, Entry, Membership, ReadState, Role, SnapshotMeta, SnapshotToInstall } from "./types.js";

/** Distributes Omit over a union, so each message variant keeps its own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type Outgoing = DistributiveOmit<Message, "from" | "term"> & { term?: Term };

/**
 * The state shared by all roles and the transitions between roles. Role
 * behaviour lives in `roles/*.ts`; the public surface is `RaftEngine`.
 */
export class RaftState {
  /** The engine's options, resolved. */
  readonly settings: ResolvedEngineConfig;
  readonly id: NodeId;
  readonly log: RaftLog;
  readonly prng: Prng;

  term: Term;
  vote: NodeId | 0;
  lead: NodeId | 0 = 0;
  role: Role = "follower";
  /** The configuration of the last applied config entry (or snapshot, or the bootstrap voters). */
  cluster: ClusterConfig;
  /** Leader only: index of the last config entry proposed; another change waits until it is applied. */
  pendingConfIndex = Index.zero;

  /** Leader only: replication progress per voter, self included. */
  progress = new Map<NodeId, Progress>();
  /** Candidate only: votes received in this campaign. */
  votes = new Map<NodeId, boolean>();

  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;

  /** Leader only: the node leadership is being handed to, or 0. */
  leadTransferee: NodeId | 0 = 0;
  /** Leader only: bytes appended in this term and not yet committed. */
  uncommittedBytes = 0;
  /** Leader only: entries appended since the last broadcast. */
  needsBroadcast = false;
  /** Leader only: the commit index advanced since the last broadcast. */
  commitChanged = false;
  /** Leader only: a follower's catch-up waits for the next turn's storage read budget. */
  catchUpDeferred = false;
  /** A catch-up read waits for the storage to read ahead (see `LogReader.readable`). */
  catchUpWaiting = false;

  /** Ticks since this node started; the leader's lease is measured in them. */
  ticks = 0;
  /** With lease reads, a node restarted with a term may have granted a lease: it honours one for an election timeout. */
  readonly restartedWithLease: boolean;
  /** Leader only: a heartbeat round must start (a read waits for one). */
  needsHeartbeat = false;
  /** Linearizable reads: the leader's rounds and pending reads (see read-only.ts). */
  readonly readOnly = new ReadOnly();

  /** The newest snapshot this node holds (taken or installed). */
  latestSnapshot: SnapshotMeta | undefined;
  /** Follower: the snapshot being fetched and restored, if any; applying waits for it. */
  installing: SnapshotToInstall | undefined;
  /** The install has yet to be handed to the driver in a Ready. */
  installRequested = false;
  /** Entries up to here may be discarded from the durable log; 0 when nothing is pending. */
  pendingCompaction = Index.zero;

  msgs: Message[] = [];
  /** Messages that promise durable state (votes, acknowledgements): sent once the writes before them are durable. */
  msgsAfterWrite: Message[] = [];
  readStates: ReadState[] = [];
  droppedReads: DroppedRead[] = [];

  constructor(config: EngineConfig) {
    this.settings = resolveEngineConfig(config);
    this.id = this.settings.id;
    this.prng = new Prng(this.settings.seed);
    this.cluster = new ClusterConfig(this.settings.snapshot?.membership ?? { voters: this.settings.voters, learners: [] });
    const hs = this.settings.hardState ?? { term: Term.zero, vote: 0, commit: Index.zero };
    this.term = hs.term;
    this.vote = hs.vote;
    this.restartedWithLease = this.settings.leaseRead && hs.term > 0;
    this.latestSnapshot = this.settings.snapshot;
    const snapshotIndex = this.settings.snapshot?.index ?? 0;
    const applied = this.settings.applied ?? Index.of(Math.max(snapshotIndex, this.settings.log.firstIndex() - 1));
    const commit = Index.of(Math.max(hs.commit, applied));
    this.log = new RaftLog(this.settings.log, commit, applied, this.settings.logCacheBytes);
    this.becomeFollower(this.term, 0);
  }

  membership(): Membership {
    return this.cluster.toMembership();
  }

  isVoter(id: NodeId = this.id): boolean {
    return this.cluster.isVoter(id);
  }

  /**
   * A config entry (or an installed snapshot's membership) was applied: act on
   * the new configuration. A leader starts replicating to new members, leaves
   * a joint configuration on its own, and steps down once it is no longer a voter.
   */
  applyMembership(m: Membership): void {
    this.cluster = new ClusterConfig(m);
    if (this.role !== "leader") return;
    const members = new Set(this.cluster.members());
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      if (this.progress.has(id)) continue;
      const pr = new Progress(Index.of(this.log.lastIndex() + 1), this.settings.maxInflight, this.settings.maxInflightBytes);
      pr.recentActive = true;
      this.progress.set(id, pr);
    }
    if (this.leadTransferee !== 0 && !this.cluster.isVoter(this.leadTransferee)) this.leadTransferee = 0;
    if (!this.maybeLeaveJoint() && !this.cluster.isVoter(this.id)) this.becomeFollower(this.term, 0);
  }

  /** Leader: once the joint configuration is applied (and nothing newer is pending), propose leaving it. */
  maybeLeaveJoint(): boolean {
    if (this.role !== "leader" || !this.cluster.joint || this.pendingConfIndex > this.log.applied) return false;
    this.pendingConfIndex = this.appendEntries([{ kind: "config", data: encodeMembership(this.cluster.leaveJoint()) }]);
    return true;
  }

  /** Queues a message from this node; `term` defaults to ours. Takes ownership of the literal it is given. */
  send(m: Outgoing): void {
    const msg = m as unknown as { from: NodeId; term: Term | undefined };
    msg.from = this.id;
    if (msg.term === undefined) msg.term = this.term;
    if (promisesDurableState(m.type)) this.msgsAfterWrite.push(msg as unknown as Message);
    else this.msgs.push(msg as unknown as Message);
  }

  // --- role transitions ---------------------------------------------------

  private reset(term: Term): void {
    dropReads(this, "LeadershipLost");
    if (term !== this.term) {
      this.term = term;
      this.vote = 0;
    }
    this.lead = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.prng.int(this.settings.electionTicks, 2 * this.settings.electionTicks);
    this.leadTransferee = 0;
    this.votes.clear();
    this.progress.clear();
    this.uncommittedBytes = 0;
    this.needsBroadcast = false;
    this.commitChanged = false;
    this.catchUpDeferred = false;
    this.catchUpWaiting = false;
    this.needsHeartbeat = false;
    this.readOnly.reset();
  }

  becomeFollower(term: Term, lead: NodeId | 0): void {
    this.reset(term);
    this.role = "follower";
    this.lead = lead;
  }

  becomePreCandidate(): void {
    // Pre-vote changes neither term nor vote, so a failed pre-campaign leaves no trace.
    this.votes.clear();
    this.progress.clear();
    this.lead = 0;
    this.role = "pre-candidate";
  }

  becomeCandidate(): void {
    this.reset(Term.of(this.term + 1));
    this.vote = this.id;
    this.role = "candidate";
  }

  becomeLeader(): void {
    this.reset(this.term);
    this.role = "leader";
    this.lead = this.id;
    const last = this.log.lastIndex();
    // Any config entry not yet applied must be applied before another change starts.
    this.pendingConfIndex = last;
    for (const id of this.cluster.members()) {
      const pr = new Progress(Index.of(last + 1), this.settings.maxInflight, this.settings.maxInflightBytes);
      if (id === this.id) {
        pr.match = this.log.durableLastIndex();
        pr.becomeReplicate();
      }
      pr.recentActive = true;
      this.progress.set(id, pr);
    }
    // §5.4.2 / §8: a no-op of the new term lets earlier entries commit and anchors reads.
    this.appendEntries([{ kind: "noop", data: new Uint8Array(0) }]);
  }

  /** Starts a campaign: a pre-vote round first when enabled, unless forced by a leadership transfer. */
  campaign(kind: "pre" | "election" | "transfer"): void {
    if (!this.isVoter()) return;
    let voteTerm: Term;
    if (kind === "pre") {
      this.becomePreCandidate();
      voteTerm = Term.of(this.term + 1);
      // A pre-vote changes nothing durable: count our own at once (a single voter wins now).
      if (this.poll(this.id, true) === "won") return this.campaign("election");
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
      // Our own vote counts only once term and vote are durable: it comes back to us after the write.
      this.send({ type: "VoteResp", to: this.id, term: voteTerm, reject: false });
    }
    const type = kind === "pre" ? "PreVote" : "Vote";
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const to of this.cluster.allVoters()) {
      if (to === this.id) continue;
      this.send({ type, to, term: voteTerm, lastIndex, lastTerm, transfer: kind === "transfer" });
    }
  }

  poll(from: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    return this.cluster.vote(this.votes);
  }

  // --- log ----------------------------------------------------------------

  /** Leader: appends new entries of the current term. Returns the index of the first. */
  appendEntries(items: readonly { kind: Entry["kind"]; data: Uint8Array }[]): Index {
    const first = Index.of(this.log.lastIndex() + 1);
    const entries: Entry[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as { kind: Entry["kind"]; data: Uint8Array };
      entries[i] = { index: Index.of(first + i), term: this.term, kind: it.kind, data: it.data };
      this.uncommittedBytes += it.data.length;
    }
    this.log.append(entries);
    this.needsBroadcast = true;
    return first;
  }

  /** Leader: commits the highest index a quorum holds, if it is of the current term (§5.4.2). */
  maybeCommit(): boolean {
    const index = Index.of(this.cluster.quorumValue((id) => this.progress.get(id)?.match ?? 0));
    if (index <= this.log.committed || this.log.term(index) !== this.term) return false;
    const wasCommittedInTerm = this.log.term(this.log.committed) === this.term;
    this.log.commitTo(index);
    this.commitChanged = true;
    if (!wasCommittedInTerm) firstCommitOfTerm(this);
    return true;
  }
}

/**
 * Answers that vouch for local state — a granted vote, entries held, a
 * snapshot installed — wait for the writes before them to be durable (etcd's
 * `msgsAfterAppend`). Everything else may leave at once.
 */
function promisesDurableState(type: Message["type"]): boolean {
  return type === "VoteResp" || type === "PreVoteResp" || type === "AppendResp" || type === "InstallSnapshotResp";
}
