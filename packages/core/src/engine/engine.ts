import type { EngineConfig } from "./config.js";
import { RaftError } from "./errors.js";
import type { Message } from "./messages.js";
import type { ProgressState } from "./progress.js";
import { RaftState } from "./raft.js";
import type { LogPosition, Ready, StorageWrite } from "./ready.js";
import { broadcastAppend, broadcastHeartbeat, continueCatchUp, proposeAsLeader, proposeMembership, tickLeader, transferLeadership } from "./roles/leader.js";
import { decodeMembership } from "./cluster-config.js";
import { tickElection } from "./roles/follower.js";
import { requestRead } from "./read-only.js";
import { step } from "./step.js";
import { Index, type NodeId, type Term } from "./brands.js";
import type { Entry, HardState, Membership, MembershipChange, Role, SnapshotMeta, SoftState } from "./types.js";

export interface PeerProgress {
  readonly match: Index;
  readonly next: Index;
  readonly state: ProgressState;
  readonly recentActive: boolean;
  /** Append messages in flight, and their entry bytes. */
  readonly inflight: number;
  readonly inflightBytes: number;
}

export interface EngineStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: Term;
  readonly vote: NodeId | 0;
  readonly leader: NodeId | 0;
  readonly commit: Index;
  readonly applied: Index;
  readonly firstIndex: Index;
  readonly lastIndex: Index;
  /** The configuration this node acts on (its last applied config entry). */
  readonly membership: Membership;
  readonly leadTransferee: NodeId | 0;
  /** The newest snapshot this node holds. */
  readonly snapshot: { readonly id: string; readonly index: Index; readonly term: Term } | undefined;
  /** The snapshot being installed, if any. */
  readonly installing: string | undefined;
  /** On the leader: replication progress of every voter, itself included. */
  readonly progress: ReadonlyMap<NodeId, PeerProgress> | undefined;
}

/**
 * A synchronous, deterministic Raft state machine (no I/O, no clock, no
 * randomness beyond its seeded PRNG). Feed it inputs; collect a `Ready`;
 * carry it out in the order its TSDoc states; acknowledge with `advance()`.
 * The same state and inputs always give the same `Ready`.
 */
export class RaftEngine {
  private readonly r: RaftState;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private inFlight: Ready | undefined;
  /** The last compaction handed out (it may not have reached the log yet). */
  private compactionIssued = Index.zero;

  constructor(config: EngineConfig) {
    this.r = new RaftState(config);
    this.prevSoft = this.softState();
    this.prevHard = this.hardState();
  }

  get id(): NodeId {
    return this.r.id;
  }

  get term(): Term {
    return this.r.term;
  }

  get role(): Role {
    return this.r.role;
  }

  /** The leader this node knows for its term, or 0. */
  get leader(): NodeId | 0 {
    return this.r.lead;
  }

  /** The highest index known to be committed. */
  get commitIndex(): Index {
    return this.r.log.committed;
  }

  /** Advances logical time by one tick: election timeouts, heartbeats and check-quorum. */
  tick(): void {
    this.r.ticks++;
    if (this.r.role === "leader") tickLeader(this.r);
    else tickElection(this.r);
  }

  /** The storage has read ahead entries the engine waited for (`LogReader.readable`): catch-up goes on at the next Ready. */
  logReadable(): void {
    const r = this.r;
    if (!r.catchUpWaiting) return;
    r.catchUpWaiting = false;
    r.catchUpDeferred = true;
  }

  /** Handles a message from a peer. Messages for another node or from an unknown term ordering are dealt with by Raft's rules. */
  step(message: Message): void {
    step(this.r, message);
  }

  /** Starts an election now (pre-vote first, if enabled). */
  campaign(): void {
    if (this.r.role !== "leader") this.r.campaign(this.r.settings.preVote ? "pre" : "election");
  }

  /**
   * Appends a command to the leader's log. Returns its (index, term): the
   * command took effect iff the entry applied at that index has that term.
   * Throws `NotLeader` (with a leader hint) or `ProposalDropped`.
   */
  propose(data: Uint8Array): { index: Index; term: Term } {
    const index = proposeAsLeader(this.r, [{ kind: "normal", data }]);
    return { index, term: this.r.term };
  }

  /**
   * Asks for a linearizable read point. The answer arrives in a later Ready:
   * a `ReadState` with the same id (serve the read once that index is applied)
   * or a `DroppedRead`. Followers forward the request to their leader.
   */
  readIndex(id: number): void {
    requestRead(this.r, id, this.r.id);
  }

  /**
   * Proposes a membership change (leader only). Promoting or removing a voter
   * goes through a joint configuration that the leader leaves on its own once
   * it is applied. Throws `NotLeader`, `ConfigChangeInProgress` or `InvalidConfig`.
   */
  proposeMembership(change: MembershipChange): { index: Index; term: Term } {
    const index = proposeMembership(this.r, change);
    return { index, term: this.r.term };
  }

  /** Hands leadership to `to` once its log is current (it gets TimeoutNow). Proposals are refused meanwhile. */
  transferLeadership(to: NodeId): void {
    transferLeadership(this.r, to);
  }

  /** The newest snapshot was taken and committed to the store: followers may be sent it, and the log compacted. */
  snapshotTaken(meta: SnapshotMeta): void {
    const r = this.r;
    if (r.latestSnapshot === undefined || meta.index > r.latestSnapshot.index) r.latestSnapshot = meta;
    // Keep a tail of entries so slightly lagging followers need no snapshot; never past what is applied.
    const target = Math.min(meta.index, r.log.applied) - r.settings.keepTrailing;
    if (target > r.log.firstIndex() - 1 && target > r.pendingCompaction) r.pendingCompaction = Index.of(target);
  }

  /**
   * The state machine was restored from `meta` (verified). The log restarts
   * after it unless it already holds that entry; the leader learns the new index.
   */
  snapshotInstalled(meta: SnapshotMeta): void {
    const r = this.r;
    r.log.installSnapshot(meta.index, meta.term);
    r.applyMembership(meta.membership);
    if (r.latestSnapshot === undefined || meta.index > r.latestSnapshot.index) r.latestSnapshot = meta;
    // An install at or below this index is done too: the state machine already holds more.
    const covered = r.installing !== undefined && r.installing.meta.index <= meta.index ? r.installing : undefined;
    if (covered !== undefined) r.installing = undefined;
    const to = covered?.from ?? r.lead;
    if (to !== 0) r.send({ type: "InstallSnapshotResp", to, index: meta.index, reject: false });
  }

  /** Fetching or restoring `meta` failed for good; the leader will offer a snapshot again. */
  snapshotFailed(meta: SnapshotMeta): void {
    const r = this.r;
    if (r.installing?.meta.id !== meta.id) return;
    const to = r.installing.from;
    r.installing = undefined;
    r.installRequested = false;
    r.send({ type: "InstallSnapshotResp", to, index: meta.index, reject: true });
  }

  /** Term of the entry at `index`, if the log (or its latest snapshot) still knows it. */
  termAt(index: Index): Term | undefined {
    if (this.r.latestSnapshot?.index === index) return this.r.latestSnapshot.term;
    return this.r.log.term(index);
  }

  /** The current configuration, as a snapshot taken now records it. */
  membership(): Membership {
    return this.r.membership();
  }

  hasReady(): boolean {
    if (this.inFlight !== undefined) return false;
    const r = this.r;
    return (
      r.msgs.length > 0 ||
      r.msgsAfterWrite.length > 0 ||
      r.log.unstable.hasPending() ||
      (r.installing === undefined && r.log.hasEntriesToApply()) ||
      r.installRequested ||
      this.compactable() !== undefined ||
      r.readStates.length > 0 ||
      r.droppedReads.length > 0 ||
      (r.role === "leader" && (r.needsBroadcast || r.commitChanged || r.needsHeartbeat || r.catchUpDeferred)) ||
      !sameSoft(this.softState(), this.prevSoft) ||
      r.term !== this.prevHard.term ||
      r.vote !== this.prevHard.vote
    );
  }

  /** Collects the pending work. Call `advance(ready)` once it is carried out, before the next `ready()`. */
  ready(): Ready {
    if (this.inFlight !== undefined) throw new RaftError("InvalidConfig", "ready() called before advance() of the previous Ready");
    const r = this.r;
    // Each turn may read this much more from storage for lagging followers.
    r.log.resetReadBudget(r.settings.maxCatchUpReadBytes, r.settings.maxCatchUpReadEntries);
    if (r.role === "leader") {
      if (r.needsBroadcast || r.commitChanged) broadcastAppend(r);
      if (r.catchUpDeferred) continueCatchUp(r);
      if (r.needsHeartbeat) broadcastHeartbeat(r);
    }
    const write = this.takeWrite();
    // While a snapshot is being installed the state machine must not be applied to.
    const committed = r.installing === undefined ? r.log.takeEntriesToApply(r.settings.maxApplyBytes) : [];
    const installSnapshot = r.installRequested ? r.installing : undefined;
    r.installRequested = false;
    const compactTo = this.compactable();
    if (compactTo !== undefined) {
      this.compactionIssued = compactTo;
      if (compactTo >= r.pendingCompaction) r.pendingCompaction = Index.zero;
    }
    if (r.role === "leader") releaseUncommitted(r, committed);

    const soft = this.softState();
    const ready: Ready = {
      softState: sameSoft(soft, this.prevSoft) ? undefined : soft,
      write,
      messages: r.msgs,
      messagesAfterWrite: r.msgsAfterWrite,
      committed,
      readStates: r.readStates,
      droppedReads: r.droppedReads,
      compactTo,
      installSnapshot,
    };
    this.prevSoft = soft;
    r.msgs = [];
    r.msgsAfterWrite = [];
    r.readStates = [];
    r.droppedReads = [];
    this.inFlight = ready;
    return ready;
  }

  /** Acknowledges that `ready` was carried out: its messages handed to the transport, its committed entries applied. Its write may still be in flight. */
  advance(ready: Ready): void {
    if (ready !== this.inFlight) throw new RaftError("InvalidConfig", "advance() of a Ready that is not the current one");
    this.inFlight = undefined;
    const r = this.r;
    const applied = ready.committed[ready.committed.length - 1];
    if (applied !== undefined) r.log.appliedTo(applied.index);
    // A configuration takes effect once its entry is applied.
    for (const e of ready.committed) if (e.kind === "config") r.applyMembership(decodeMembership(e.data));
    // A leader elected during a joint phase finishes it once its earlier entries are applied.
    r.maybeLeaveJoint();
  }

  /**
   * Every write handed out up to the one whose `durableTo` is `position` is
   * durable. A stale acknowledgement (the log was truncated since) changes
   * nothing. Only now does the leader count those entries as its own toward a quorum.
   */
  persisted(position: LogPosition): void {
    const r = this.r;
    r.log.stableTo(position.index, position.term);
    if (r.role === "leader") {
      r.progress.get(r.id)?.maybeUpdate(r.log.durableLastIndex());
      r.maybeCommit();
    }
  }

  status(): EngineStatus {
    const r = this.r;
    let progress: Map<NodeId, PeerProgress> | undefined;
    if (r.role === "leader") {
      progress = new Map();
      for (const [id, p] of r.progress) {
        progress.set(id, { match: p.match, next: p.next, state: p.state, recentActive: p.recentActive, inflight: p.inflights.count, inflightBytes: p.inflights.bytes });
      }
    }
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      vote: r.vote,
      leader: r.lead,
      commit: r.log.committed,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      membership: r.membership(),
      leadTransferee: r.leadTransferee,
      snapshot: r.latestSnapshot === undefined ? undefined : { id: r.latestSnapshot.id, index: r.latestSnapshot.index, term: r.latestSnapshot.term },
      installing: r.installing?.meta.id,
      progress,
    };
  }

  /** Entries in [lo, hi) as the engine sees them (durable and unstable); for tests and diagnostics. */
  entries(lo: Index, hi: Index): Entry[] {
    return this.r.log.slice(lo, hi, Infinity) ?? [];
  }

  /** The next durable write: new entries, a log reset, or a changed term or vote (a commit-only change waits for the next one). */
  private takeWrite(): StorageWrite | undefined {
    const r = this.r;
    const u = r.log.unstable;
    const reset = u.reset !== undefined && !u.resetInProgress ? { index: u.reset.index, term: u.reset.term } : undefined;
    const entries = u.pending();
    const hard = this.hardState();
    const voteChanged = hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote;
    if (reset === undefined && entries.length === 0 && !voteChanged) return undefined;
    u.acceptInProgress();
    const hardState = sameHard(hard, this.prevHard) ? undefined : hard;
    this.prevHard = hard;
    return { reset, hardState, entries, durableTo: { index: r.log.lastIndex(), term: r.log.lastTerm() } };
  }

  /** The compaction the driver may carry out now: never past what is durable here, nor one already handed out. */
  private compactable(): Index | undefined {
    const r = this.r;
    if (r.pendingCompaction === 0) return undefined;
    const to = Index.of(Math.min(r.pendingCompaction, r.log.durableLastIndex()));
    return to > Math.max(r.log.firstIndex() - 1, this.compactionIssued) ? to : undefined;
  }

  private softState(): SoftState {
    return { role: this.r.role, leader: this.r.lead };
  }

  private hardState(): HardState {
    return { term: this.r.term, vote: this.r.vote, commit: this.r.log.committed };
  }
}

function releaseUncommitted(r: RaftState, committed: readonly Entry[]): void {
  let bytes = 0;
  for (const e of committed) if (e.term === r.term) bytes += e.data.length;
  r.uncommittedBytes = Math.max(0, r.uncommittedBytes - bytes);
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader;
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
