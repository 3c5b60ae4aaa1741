import type { Clock, Logger, LogStore, SnapshotStore, StateMachine, Transport } from "../contracts/index.js";
import { silentLogger } from "../contracts/index.js";
import { Index, NodeId, RaftEngine, RaftError, isRaftError, type Entry, type Membership, type Message, type Role, type SnapshotMeta } from "../engine/index.js";
import { addressBook } from "./address-book.js";
import { Applier } from "./applier.js";
import { Emitter, type RaftNodeEvents } from "./events.js";
import { engineOptions, parseNodeConfig, snapshotSettings, type RaftNodeOptions, type ResolvedRaftNodeConfig } from "./options.js";
import { handOffLeadership } from "./hand-off.js";
import { MembershipChanges } from "./membership-changes.js";
import { PendingProposals, PendingReads } from "./pending.js";
import { ReadyLoop } from "./ready-loop.js";
import { SnapshotManager } from "./snapshots/snapshot-manager.js";
import { LogWriter } from "./storage/log-writer.js";
import { ReadAheadLog } from "./storage/read-ahead-log.js";
import { TokenBucket } from "./token-bucket.js";
import { SlowTurns } from "./slow-turns.js";
import { logHolds, restoreNewestSnapshot } from "./startup.js";
import type { ProposeOptions, RaftNodeStatus, TakeSnapshotOptions } from "./raft-node-types.js";
import { systemClock } from "./system-clock.js";

type NodeState = "new" | "running" | "stopping" | "stopped";

/**
 * A Raft node: a `RaftEngine` driven with real ports. Its public API is here;
 * the loop that carries out each `Ready` is `ReadyLoop`, applying is
 * `Applier`, durable writes go through `LogWriter` (group commit). The only
 * place with I/O, timers and client promises.
 */
export class RaftNode<Result = unknown> {
  readonly id: NodeId;
  private readonly cfg: ResolvedRaftNodeConfig;
  private readonly log: LogStore;
  private readonly snapshotStore: SnapshotStore;
  private readonly snapshotManager: SnapshotManager<Result>;
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
  private readonly applier: Applier<Result>;

  private engine: RaftEngine | undefined;
  private loop: ReadyLoop<Result> | undefined;
  private state: NodeState = "new";
  private cancelTick: () => void = () => {};
  private nextReadId = 1;
  /** What `status()` answers once the log is closed: the status just before. */
  private finalStatus: RaftNodeStatus | undefined;

  constructor(options: RaftNodeOptions<Result>) {
    this.cfg = parseNodeConfig(options);
    this.id = this.cfg.id;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    const c = this.cfg;
    // Catch-up reads of older entries come from what the store read ahead off the event loop, when it can, at a paced rate.
    const pacing = c.catchUpMaxBytesPerSecond > 0 ? new TokenBucket(c.catchUpMaxBytesPerSecond, this.clock) : undefined;
    this.log = ReadAheadLog.over(
      options.log,
      { entries: c.maxCatchUpReadEntries, bytes: c.maxCatchUpReadBytes },
      () => {
        this.engine?.logReadable();
        this.kick();
      },
      pacing,
    );
    this.snapshotStore = options.snapshots;
    this.stateMachine = options.stateMachine;
    this.transport = options.transport;
    this.writer = new LogWriter(this.log, { maxEntries: c.maxWriteEntries, maxBytes: c.maxWriteBytes }, (error) => this.fail(error));
    this.slowTurns = new SlowTurns(this.clock, this.logger, c.slowTurnWarnMs, c.id);
    this.membershipChanges = new MembershipChanges({
      engine: () => this.runningEngine(),
      proposals: this.proposals as PendingProposals<unknown>,
      onMembership: (listener) => this.on("membership", listener),
      kick: () => this.kick(),
      promoteMaxLag: c.promoteMaxLag,
    });
    this.snapshotManager = new SnapshotManager<Result>({
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
    this.applier = new Applier<Result>({
      stateMachine: this.stateMachine,
      proposals: this.proposals,
      reads: this.reads,
      events: this.events,
      onApplied: (bytes) => this.snapshotManager.applied(bytes),
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
      hardState = { ...hardState, commit: Index.of(Math.max(hardState.commit, snapshot.index)) };
      await this.log.save({ reset: { index: snapshot.index, term: snapshot.term }, hardState, entries: [] });
    }
    this.snapshotManager.restored(snapshot);
    const c = this.cfg;
    const engine = new RaftEngine({
      ...engineOptions(c),
      id: c.id,
      voters: c.voters,
      log: this.log,
      hardState,
      seed: c.seed ?? Math.floor(Math.random() * 2 ** 32),
      snapshot,
      applied: snapshot?.index,
    });
    this.engine = engine;
    this.applier.applied = engine.status().applied;
    this.loop = new ReadyLoop<Result>({
      id: this.id,
      engine,
      clock: this.clock,
      transport: this.transport,
      writer: this.writer,
      snapshots: this.snapshotManager,
      applier: this.applier,
      reads: this.reads,
      events: this.events,
      slowTurns: this.slowTurns,
      running: () => this.state === "running",
      fail: (error) => this.fail(error),
      membershipChanged: (m) => this.membershipChanged(m),
    });
    this.state = "running";
    await this.transport.start({
      onMessage: (m) => this.receive(m),
      onSnapshotRequest: (from, request, signal) => this.snapshotManager.serve(from, request, signal),
    });
    this.transport.updatePeers?.(addressBook(engine.membership()));
    this.scheduleTick();
    this.logger.info("raft node started", { id: this.id, term: hardState.term, commit: hardState.commit });
  }

  /**
   * Replicates `command` and resolves with the state machine's result once it
   * is applied on this node. Rejects with `NotLeader` (carrying a leader hint),
   * `ProposalDropped` (leadership transfer, overload, or overwritten by a new
   * leader) or `Stopped`; with `Timeout` or `Aborted` when the wait ends first
   * (the command may still apply: retry it idempotently).
   */
  propose(command: Uint8Array, options: ProposeOptions = {}): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      if (options.signal?.aborted === true) throw new RaftError("Aborted", "the proposal was aborted before it was made");
      const { index, term } = this.runningEngine().propose(command);
      const timeoutMs = options.timeoutMs ?? this.cfg.proposeTimeoutMs;
      this.proposals.add(index, term, { resolve, reject });
      if (timeoutMs > 0 || options.signal !== undefined) this.proposals.bound(index, { clock: this.clock, timeoutMs, signal: options.signal });
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
    return this.snapshotManager.requestTake();
  }

  /** Adds `id` as a learner: it receives the log (or a snapshot) but counts in no quorum. Resolves with the new membership once applied here. */
  addLearner(id: number, address?: string): Promise<Membership> {
    return this.guarded(() => {
      const node = nodeIdArgument(id);
      return this.membershipChanges.change(address === undefined ? { type: "addLearner", node } : { type: "addLearner", node, address });
    });
  }

  /**
   * Makes learner `id` a voter, through a joint configuration; refused with
   * `NotCaughtUp` while it lags the leader by more than `promoteMaxLag` entries.
   * Resolves once the final configuration is applied here.
   */
  promote(id: number): Promise<Membership> {
    return this.guarded(() => {
      const node = nodeIdArgument(id);
      this.membershipChanges.checkCaughtUp(node);
      return this.membershipChanges.change({ type: "promote", node });
    });
  }

  /** Removes member `id` (the leader may remove itself: it steps down once the change is applied). */
  removeMember(id: number): Promise<Membership> {
    return this.guarded(() => this.membershipChanges.change({ type: "remove", node: nodeIdArgument(id) }));
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
  transferLeadership(to: number): void {
    this.runningEngine().transferLeadership(nodeIdArgument(to));
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
  get leader(): NodeId | 0 {
    return this.engine?.leader ?? 0;
  }

  status(): RaftNodeStatus {
    if (this.finalStatus !== undefined) return this.finalStatus;
    if (this.engine === undefined) throw new RaftError("Stopped", "the node has not been started");
    return {
      ...this.engine.status(),
      applied: this.applier.applied,
      pendingProposals: this.proposals.size,
      pendingReads: this.reads.size,
      stopped: this.state !== "running",
      snapshots: { ...this.snapshotManager.stats },
      transfers: this.snapshotManager.transfers.list(),
      catchUp: this.log instanceof ReadAheadLog ? { ...this.log.stats } : { entries: 0, bytes: 0, pacedMs: 0 },
    };
  }

  /** Entries in [lo, hi) of this node's log, durable or not yet (diagnostics and tests). */
  logEntries(lo: number, hi: number): Entry[] {
    if (this.engine === undefined) throw new RaftError("Stopped", "the node has not been started");
    return this.engine.entries(Index.of(lo), Index.of(hi));
  }

  on<K extends keyof RaftNodeEvents>(name: K, listener: (event: RaftNodeEvents[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  /**
   * Stops ticking and receiving, lets the Ready being carried out finish,
   * rejects waiting clients with `Stopped`, and closes the transport and the log.
   */
  async stop(): Promise<void> {
    if (this.state === "stopping" || this.state === "stopped") return this.loop?.done();
    const wasRunning = this.state === "running";
    this.state = "stopping";
    this.cancelTick();
    await this.loop?.done();
    await this.writer.idle();
    await this.snapshotManager.stop();
    this.failClients(new RaftError("Stopped", "the node is stopped"));
    if (wasRunning) {
      await this.transport.close();
      this.finalStatus = this.status();
      await this.log.close();
      await this.snapshotStore.close();
    }
    this.state = "stopped";
    this.logger.info("raft node stopped", { id: this.id });
  }

  // --- inputs ----------------------------------------------------------------

  private runningEngine(): RaftEngine {
    if (this.state !== "running" || this.engine === undefined) throw new RaftError("Stopped", "the node is not running");
    return this.engine;
  }

  private receive(message: Message): void {
    const engine = this.engine;
    if (this.state !== "running" || engine === undefined) return;
    try {
      this.slowTurns.time(
        () => `handling ${message.type} from node ${message.from}`,
        () => engine.step(message),
      );
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

  private kick(): void {
    this.loop?.kick();
  }

  private onSnapshot(kind: "taken" | "installed", meta: SnapshotMeta): void {
    if (kind === "installed" && this.applier.restored(meta)) this.membershipChanged(meta.membership);
    this.events.emit("snapshot", { kind, index: meta.index, term: meta.term, id: meta.id, size: meta.size });
  }

  private membershipChanged(membership: Membership): void {
    this.transport.updatePeers?.(addressBook(membership));
    this.events.emit("membership", { membership });
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
    try {
      this.finalStatus = this.status();
    } catch {
      // A log that cannot be read any more: status() reports the error from now on.
    }
    void Promise.allSettled([this.transport.close(), this.log.close()]).then(() => {
      this.state = "stopped";
    });
  }
}

/** The public API takes node ids as plain numbers; one that is not a positive safe integer is refused with `InvalidConfig`. */
function nodeIdArgument(id: number): NodeId {
  if (!NodeId.is(id)) throw new RaftError("InvalidConfig", `a node id must be a positive safe integer, got ${id}`);
  return id;
}
