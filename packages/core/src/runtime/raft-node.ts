import type { AddressBook, Clock, Command, Logger, LogStore, SnapshotStore, StateMachine, Transport } from "../contracts/index.js";
import { silentLogger } from "../contracts/index.js";
import {
  RaftEngine,
  RaftError,
  isRaftError,
  notLeader,
  type EngineStatus,
  type Entry,
  type Index,
  type LogPosition,
  type Membership,
  type Message,
  type NodeId,
  type Ready,
  type Role,
  type SnapshotMeta,
} from "../engine/index.js";
import { Emitter, type RaftNodeEvents } from "./events.js";
import { parseNodeConfig, snapshotSettings, type RaftNodeOptions, type ResolvedRaftNodeConfig } from "./options.js";
import { handOffLeadership } from "./hand-off.js";
import { MembershipChanges } from "./membership-changes.js";
import { PendingProposals, PendingReads } from "./pending.js";
import { SnapshotManager } from "./snapshots/snapshot-manager.js";
import { LogWriter } from "./storage/log-writer.js";
import { describeReady, SlowTurns } from "./slow-turns.js";
import type { SnapshotStats } from "./snapshots/snapshot-stats.js";
import type { SnapshotTransfer } from "./snapshots/transfer-tracker.js";
import { logHolds, restoreNewestSnapshot } from "./startup.js";
import { systemClock } from "./system-clock.js";

export interface RaftNodeStatus extends EngineStatus {
  /** Proposals waiting to apply on this node. */
  readonly pendingProposals: number;
  /** Reads waiting for a read point or for it to apply. */
  readonly pendingReads: number;
  readonly stopped: boolean;
  readonly snapshots: Readonly<SnapshotStats>;
  /** Snapshot streams in flight, to and from peers. */
  readonly transfers: readonly SnapshotTransfer[];
}

export interface TakeSnapshotOptions {
  /** On a leader: first hand leadership to an up-to-date follower, so the heavy work does not slow the cluster's leader. */
  readonly transferLeadershipFirst?: boolean;
}

type NodeState = "new" | "running" | "stopping" | "stopped";

/**
 * Drives a `RaftEngine` with real ports: one serial loop persists, sends,
 * applies and releases each `Ready` in the order it documents. The only place
 * with I/O, timers and client promises.
 */
export class RaftNode<Result = unknown> {
  readonly id: NodeId;
  private readonly cfg: ResolvedRaftNodeConfig;
  private readonly log: LogStore;
  private readonly snapshotStore: SnapshotStore;
  private readonly snapshots: SnapshotManager<Result>;
  private readonly stateMachine: StateMachine<Result>;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly events = new Emitter<RaftNodeEvents>();
  private readonly proposals = new PendingProposals<Result>();
  private readonly reads = new PendingReads();
  private readonly membershipChanges: MembershipChanges;
  private readonly writer: LogWriter;
  private readonly slowTurns: SlowTurns;

  private engine: RaftEngine | undefined;
  private state: NodeState = "new";
  private loopRunning = false;
  /** Something happened while the loop ran: it must look again before exiting. */
  private kicked = false;
  private loopDone: Promise<void> = Promise.resolve();
  private cancelTick: () => void = () => {};
  private nextReadId = 1;
  private applied: Index = 0;
  private lastRole: Role = "follower";
  private lastLeader: NodeId = 0;
  private lastCommit: Index = 0;

  constructor(options: RaftNodeOptions<Result>) {
    this.cfg = parseNodeConfig(options);
    this.id = this.cfg.id;
    this.log = options.log;
    this.snapshotStore = options.snapshots;
    this.stateMachine = options.stateMachine;
    this.transport = options.transport;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    const c = this.cfg;
    this.writer = new LogWriter(this.log, { maxEntries: c.maxWriteEntries, maxBytes: c.maxWriteBytes }, (error) => this.fail(error));
    this.slowTurns = new SlowTurns(this.clock, this.logger, c.slowTurnWarnMs, c.id);
    this.membershipChanges = new MembershipChanges({
      engine: () => this.runningEngine(),
      proposals: this.proposals as PendingProposals<unknown>,
      onMembership: (listener) => this.on("membership", listener),
      kick: () => this.kick(),
      promoteMaxLag: c.promoteMaxLag,
    });
    this.snapshots = new SnapshotManager<Result>({
      store: this.snapshotStore,
      stateMachine: this.stateMachine,
      transport: this.transport,
      clock: this.clock,
      logger: this.logger,
      settings: snapshotSettings(c),
      engine: () => this.engine as RaftEngine,
      kick: () => this.kick(),
      onEvent: (e) => this.onSnapshot(e.kind, e.meta),
      onTransfer: (t) => this.events.emit("transfer", t),
    });
  }

  /**
   * Loads durable state: restores the newest valid snapshot, replays the log
   * after it, then starts the transport and the tick timer.
   */
  async start(): Promise<void> {
    if (this.state !== "new") throw new RaftError("InvalidConfig", "a node can be started once");
    let hardState = await this.log.loadHardState();
    const snapshot = await restoreNewestSnapshot({
      store: this.snapshotStore,
      log: this.log,
      stateMachine: this.stateMachine,
      logger: this.logger,
      verify: this.cfg.verifySnapshotOnStart,
      chunkBytes: this.cfg.snapshotChunkBytes,
    });
    if (snapshot !== undefined && !logHolds(this.log, snapshot)) {
      // Crashed between restoring an installed snapshot and resetting the log: finish the reset.
      hardState = { ...hardState, commit: Math.max(hardState.commit, snapshot.index) };
      await this.log.save({ reset: { index: snapshot.index, term: snapshot.term }, hardState, entries: [] });
    }
    this.snapshots.restored(snapshot);
    const c = this.cfg;
    this.engine = new RaftEngine({
      id: c.id,
      voters: c.voters,
      log: this.log,
      hardState,
      seed: c.seed ?? Math.floor(Math.random() * 2 ** 32),
      electionTicks: c.electionTicks,
      heartbeatTicks: c.heartbeatTicks,
      preVote: c.preVote,
      checkQuorum: c.checkQuorum,
      leaseRead: c.leaseRead,
      maxInflight: c.maxInflight,
      maxInflightBytes: c.maxInflightBytes,
      logCacheBytes: c.logCacheBytes,
      maxCatchUpReadBytes: c.maxCatchUpReadBytes,
      maxMsgEntries: c.maxMsgEntries,
      maxMsgBytes: c.maxMsgBytes,
      maxUncommittedBytes: c.maxUncommittedBytes,
      keepTrailing: c.keepTrailing,
      snapshot,
      applied: snapshot?.index,
    });
    this.applied = this.engine.status().applied;
    this.lastCommit = hardState.commit;
    this.state = "running";
    await this.transport.start({
      onMessage: (m) => this.receive(m),
      onSnapshotRequest: (from, request, signal) => this.snapshots.serve(from, request, signal),
    });
    this.transport.updatePeers?.(addressBook(this.engine.membership()));
    this.scheduleTick();
    this.logger.info("raft node started", { id: this.id, term: hardState.term, commit: hardState.commit });
  }

  /**
   * Replicates `command` and resolves with the state machine's result once it
   * is applied on this node. Rejects with `NotLeader` (carrying a leader hint),
   * `ProposalDropped` (leadership transfer, overload, or overwritten by a new
   * leader) or `Stopped`.
   */
  propose(command: Uint8Array): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const { index, term } = this.runningEngine().propose(command);
      this.proposals.add(index, term, { resolve, reject });
      this.kick();
    });
  }

  /**
   * A linearizable read barrier: resolves with an index once this node has
   * applied every write acknowledged before the call, so reading the local
   * state machine then is linearizable. Rejects with `NotLeader`, `Timeout` or `Stopped`.
   */
  read(): Promise<Index> {
    const id = this.nextReadId++;
    const timeoutMs = this.cfg.readTimeoutMs ?? 2 * this.cfg.electionTicks * this.cfg.tickMs;
    return new Promise<Index>((resolve, reject) => {
      const engine = this.runningEngine();
      const cancelTimer = this.clock.setTimeout(() => {
        this.reads.fail(id, new RaftError("Timeout", `read ${id} was not confirmed within ${timeoutMs} ms`));
      }, timeoutMs);
      this.reads.add(id, { resolve, reject, cancelTimer });
      engine.readIndex(id);
      this.kick();
    });
  }

  /**
   * Takes a snapshot of the state machine now (between applies, without
   * pausing proposals) and compacts the log; resolves with its manifest.
   */
  async takeSnapshot(options: TakeSnapshotOptions = {}): Promise<SnapshotMeta> {
    const engine = this.runningEngine();
    if (options.transferLeadershipFirst === true && engine.status().role === "leader") {
      await handOffLeadership(this, this.clock, 2 * this.cfg.electionTicks * this.cfg.tickMs);
    }
    return this.snapshots.requestTake();
  }

  /** Adds `id` as a learner: it receives the log (or a snapshot) but counts in no quorum. Resolves with the new membership once applied here. */
  addLearner(id: NodeId, address?: string): Promise<Membership> {
    return this.guarded(() => this.membershipChanges.change(address === undefined ? { type: "addLearner", node: id } : { type: "addLearner", node: id, address }));
  }

  /**
   * Makes learner `id` a voter, through a joint configuration; refused with
   * `NotCaughtUp` while it lags the leader by more than `promoteMaxLag` entries.
   * Resolves once the final configuration is applied here.
   */
  promote(id: NodeId): Promise<Membership> {
    return this.guarded(() => {
      this.membershipChanges.checkCaughtUp(id);
      return this.membershipChanges.change({ type: "promote", node: id });
    });
  }

  /** Removes member `id` (the leader may remove itself: it steps down once the change is applied). */
  removeMember(id: NodeId): Promise<Membership> {
    return this.guarded(() => this.membershipChanges.change({ type: "remove", node: id }));
  }

  /** Turns a synchronous throw (not running, not leader) into a rejection. */
  private guarded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      this.runningEngine();
      return fn();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Hands leadership to `to`; resolves once started (watch the `leader` event for the outcome). */
  transferLeadership(to: NodeId): void {
    this.runningEngine().transferLeadership(to);
    this.kick();
  }

  /** Starts an election at once (operators, tests). */
  campaign(): void {
    this.runningEngine().campaign();
    this.kick();
  }

  /** This node's role now (cheap: for checks on every request; `status()` has everything). */
  get role(): Role {
    return this.engine?.role ?? "follower";
  }

  /** The leader this node knows for its term, or 0. */
  get leader(): NodeId {
    return this.engine?.leader ?? 0;
  }

  status(): RaftNodeStatus {
    if (this.engine === undefined) throw new RaftError("Stopped", "the node has not been started");
    return {
      ...this.engine.status(),
      applied: this.applied,
      pendingProposals: this.proposals.size,
      pendingReads: this.reads.size,
      stopped: this.state !== "running",
      snapshots: { ...this.snapshots.stats },
      transfers: this.snapshots.transfers.list(),
    };
  }

  /** Entries in [lo, hi) of this node's log, durable or not yet (diagnostics and tests). */
  logEntries(lo: Index, hi: Index): Entry[] {
    if (this.engine === undefined) throw new RaftError("Stopped", "the node has not been started");
    return this.engine.entries(lo, hi);
  }

  on<K extends keyof RaftNodeEvents>(name: K, listener: (event: RaftNodeEvents[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  /**
   * Stops ticking and receiving, lets the Ready being carried out finish,
   * rejects waiting clients with `Stopped`, and closes the transport and the log.
   */
  async stop(): Promise<void> {
    if (this.state === "stopping" || this.state === "stopped") return this.loopDone;
    const wasRunning = this.state === "running";
    this.state = "stopping";
    this.cancelTick();
    await this.loopDone;
    await this.writer.idle();
    await this.snapshots.stop();
    this.failClients(new RaftError("Stopped", "the node is stopped"));
    if (wasRunning) {
      await this.transport.close();
      await this.log.close();
      await this.snapshotStore.close();
    }
    this.state = "stopped";
    this.logger.info("raft node stopped", { id: this.id });
  }

  // --- the loop ------------------------------------------------------------

  private runningEngine(): RaftEngine {
    if (this.state !== "running" || this.engine === undefined) throw new RaftError("Stopped", "the node is not running");
    return this.engine;
  }

  private receive(message: Message): void {
    const engine = this.engine;
    if (this.state !== "running" || engine === undefined) return;
    try {
      this.slowTurns.time(() => `handling ${message.type} from node ${message.from}`, () => engine.step(message));
    } catch (error) {
      // Only a broken invariant (say, a conflict with a committed entry) throws here.
      this.fail(error);
      return;
    }
    this.kick();
  }

  private scheduleTick(): void {
    this.cancelTick = this.clock.setTimeout(() => {
      if (this.state !== "running" || this.engine === undefined) return;
      this.engine.tick();
      this.kick();
      this.scheduleTick();
    }, this.cfg.tickMs);
  }

  /** Runs the loop, or asks the running loop to look again before it exits (no lost wake-ups). */
  private kick(): void {
    if (this.state !== "running") return;
    if (this.loopRunning) {
      this.kicked = true;
      return;
    }
    this.loopRunning = true;
    this.loopDone = this.loop();
  }

  private async loop(): Promise<void> {
    // Let every input of this turn (all the requests and messages read together) batch into one Ready.
    await this.nextTurn();
    try {
      const engine = this.engine as RaftEngine;
      do {
        this.kicked = false;
        while (this.state === "running" && engine.hasReady()) {
          const started = this.clock.now();
          const ready = engine.ready();
          await this.carryOut(ready);
          if (this.state !== "running") return;
          engine.advance(ready);
          this.slowTurns.check(started, () => describeReady(ready));
          if (ready.committed.some((e) => e.kind === "config")) this.membershipChanged(engine.membership());
          await this.snapshots.takeIfRequested(this.applied);
          // Sockets, timers and client requests get their turn between two Readies.
          await this.nextTurn();
        }
        if (this.state === "running") await this.snapshots.takeIfRequested(this.applied);
      } while (this.kicked && this.state === "running");
    } catch (error) {
      this.fail(error);
    } finally {
      this.loopRunning = false;
    }
  }

  private nextTurn(): Promise<void> {
    const clock = this.clock;
    return clock.defer === undefined ? Promise.resolve() : new Promise((resolve) => clock.defer?.(resolve));
  }

  /** Steps 1–4 of the `Ready` contract; the write goes on beside the loop. */
  private async carryOut(ready: Ready): Promise<void> {
    this.report(ready);
    const write = ready.write;
    if (write !== undefined) this.writer.save(write, () => this.persisted(write.durableTo));
    if (ready.compactTo !== undefined) this.writer.compact(ready.compactTo);
    if (ready.messages.length > 0) this.transport.send(await this.withInlineSnapshots(ready.messages));
    if (ready.messagesAfterWrite.length > 0) {
      const messages = ready.messagesAfterWrite;
      this.writer.afterDurable(() => this.sendAfterWrite(messages));
    }
    if (ready.committed.length > 0) await this.apply(ready);
    if (ready.installSnapshot !== undefined) this.snapshots.install(ready.installSnapshot);
    for (const rs of ready.readStates) this.reads.confirmed(rs.id, rs.index, this.applied);
    for (const d of ready.droppedReads) {
      this.reads.fail(d.id, d.reason === "NotLeader" ? notLeader(d.leaderHint) : new RaftError("NotLeader", "leadership changed before the read was confirmed", { leaderHint: d.leaderHint }));
    }
  }

  /** A write is durable: the engine may count it (the leader toward a commit). */
  private persisted(position: LogPosition): void {
    if (this.state !== "running" || this.engine === undefined) return;
    this.engine.persisted(position);
    this.kick();
  }

  /** Votes and acknowledgements, now that what they promise is durable; our own vote goes back to the engine. */
  private sendAfterWrite(messages: readonly Message[]): void {
    if (this.state !== "running" || this.engine === undefined) return;
    let toPeers = messages;
    if (messages.some((m) => m.to === this.id)) {
      toPeers = messages.filter((m) => m.to !== this.id);
      for (const m of messages) if (m.to === this.id) this.engine.step(m);
      this.kick();
    }
    if (toPeers.length > 0) this.transport.send(toPeers);
  }

  private async apply(ready: Ready): Promise<void> {
    // Entries are Commands already; copy the list only when no-ops or config entries must be left out.
    const commands: readonly Command[] = ready.committed.every((e) => e.kind === "normal") ? ready.committed : ready.committed.filter((e) => e.kind === "normal");
    const results = commands.length > 0 ? await this.stateMachine.apply(commands) : [];
    if (results.length !== commands.length) {
      throw new RaftError("Corrupt", `the state machine returned ${results.length} results for ${commands.length} commands`);
    }
    let c = 0;
    for (const e of ready.committed) this.proposals.settle(e.index, e.term, e.kind === "normal" ? results[c++] : undefined, e.kind);
    this.applied = (ready.committed[ready.committed.length - 1] as { index: Index }).index;
    this.reads.appliedTo(this.applied);
    let bytes = 0;
    for (const e of ready.committed) bytes += e.data.length;
    this.snapshots.applied(bytes);
    this.events.emit("apply", { index: this.applied });
  }

  private async withInlineSnapshots(messages: readonly Message[]): Promise<readonly Message[]> {
    if (!messages.some((m) => m.type === "InstallSnapshot")) return messages;
    return Promise.all(messages.map((m) => this.snapshots.decorate(m)));
  }

  private onSnapshot(kind: "taken" | "installed", meta: SnapshotMeta): void {
    if (kind === "installed" && meta.index > this.applied) {
      this.applied = meta.index;
      this.proposals.coveredBySnapshot(meta.index);
      this.reads.appliedTo(this.applied);
      this.membershipChanged(meta.membership);
    }
    this.events.emit("snapshot", { kind, index: meta.index, term: meta.term, id: meta.id, size: meta.size });
  }


  private membershipChanged(membership: Membership): void {
    this.transport.updatePeers?.(addressBook(membership));
    this.events.emit("membership", { membership });
  }

  private report(ready: Ready): void {
    const engine = this.engine as RaftEngine;
    const soft = ready.softState;
    if (soft !== undefined) {
      if (soft.role !== this.lastRole) {
        this.lastRole = soft.role;
        this.events.emit("role", { role: soft.role, term: engine.term });
      }
      if (soft.leader !== this.lastLeader) {
        this.lastLeader = soft.leader;
        this.events.emit("leader", { leader: soft.leader, term: engine.term });
      }
    }
    const commit = engine.commitIndex;
    if (commit > this.lastCommit) {
      this.lastCommit = commit;
      this.events.emit("commit", { index: commit });
    }
  }

  private failClients(error: Error): void {
    this.proposals.rejectAll(error);
    this.reads.rejectAll(error);
    this.membershipChanges.rejectAll(error);
  }

  /** Storage or state machine failures stop the node rather than risk divergence. */
  private fail(error: unknown): void {
    if (this.state !== "running") return;
    const err = error instanceof Error ? error : new Error(String(error));
    this.logger.error("raft node failed; stopping", { id: this.id, error: err.message });
    this.state = "stopping";
    this.cancelTick();
    const code = isRaftError(err) ? err.code : "StorageFailure";
    this.failClients(new RaftError(code, `the node stopped after an unrecoverable error: ${err.message}`, { cause: err }));
    this.events.emit("error", { error: err });
    void Promise.allSettled([this.transport.close(), this.log.close()]).then(() => {
      this.state = "stopped";
    });
  }
}

function addressBook(membership: Membership): AddressBook {
  return new Map(Object.entries(membership.addresses ?? {}).map(([id, address]) => [Number(id), address]));
}
