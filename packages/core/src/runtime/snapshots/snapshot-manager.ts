import { parseMessage, type Clock, type Logger, type SnapshotRequest, type SnapshotStore, type StateMachine, type Transport } from "../../contracts/index.js";
import { isRaftError, RaftError, type Index, type Message, type NodeId, type RaftEngine, type SnapshotMeta, type SnapshotToInstall } from "../../engine/index.js";
import { fetchSnapshot } from "./snapshot-fetcher.js";
import { TransferTracker, type FinishedTransfer, type TransferSource } from "./transfer-tracker.js";
import { SnapshotServer } from "./snapshot-server.js";
import { emptySnapshotStats, type SnapshotStats } from "./snapshot-stats.js";
import { readSnapshot, writeSnapshot } from "./snapshot-writer.js";

export interface SnapshotSettings {
  /** Take a snapshot once this many entries were applied since the last one (0: never automatically). */
  readonly snapshotEntries: number;
  /** … or once this many bytes of entries were applied since the last one (0: never). */
  readonly snapshotLogBytes: number;
  readonly keepSnapshots: number;
  readonly chunkBytes: number;
  readonly inlineBytes: number;
  readonly maxBytesPerSecond: number;
  readonly maxConcurrentSends: number;
  readonly progressTimeoutMs: number;
  readonly maxAttempts: number;
}

interface Job {
  readonly kind: "take" | "install";
  readonly index: Index;
  /** For installs: the snapshot being installed. */
  readonly id?: string;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/**
 * Everything snapshot on one node: the take policy, taking, serving peers,
 * fetching and restoring installs, and the rule that a take and an install
 * never overlap (an install aborts a take; a newer install supersedes an
 * older one).
 */
export class SnapshotManager<Result> {
  readonly stats: SnapshotStats = emptySnapshotStats();
  /** Snapshot streams in flight, both directions. */
  readonly transfers: TransferTracker;
  private readonly server: SnapshotServer;
  private job: Job | undefined;
  /** Index of the newest snapshot taken or installed (0: none); the take policy counts from it. */
  private lastIndex = 0;
  private bytesSince = 0;
  private takeWaiters: { resolve(m: SnapshotMeta): void; reject(e: Error): void }[] = [];
  private takeRequested = false;

  constructor(
    private readonly d: {
      store: SnapshotStore;
      stateMachine: StateMachine<Result>;
      transport: Transport;
      clock: Clock;
      logger: Logger;
      settings: SnapshotSettings;
      engine: () => RaftEngine;
      /** Wakes the node's loop after the engine was told something. */
      kick: () => void;
      onEvent: (e: { kind: "taken" | "installed"; meta: SnapshotMeta }) => void;
      onTransfer: (t: FinishedTransfer) => void;
    },
  ) {
    const s = d.settings;
    this.transfers = new TransferTracker(d.clock, d.onTransfer);
    this.server = new SnapshotServer(d.store, {
      maxConcurrent: s.maxConcurrentSends,
      bytesPerSecond: s.maxBytesPerSecond,
      clock: d.clock,
      logger: d.logger,
      stats: this.stats,
      transfers: this.transfers,
    });
  }

  /** The snapshot the node restored at startup; the take policy counts from it. */
  restored(meta: SnapshotMeta | undefined): void {
    this.lastIndex = meta?.index ?? 0;
  }

  serve(from: NodeId, request: SnapshotRequest, signal: AbortSignal): AsyncIterable<Uint8Array> {
    return this.server.serve(from, request, signal);
  }

  /** Entries holding `bytes` were applied; the policy counts them. */
  applied(bytes: number): void {
    this.bytesSince += bytes;
  }

  /** The policy: enough entries or bytes applied since the last snapshot. */
  private due(applied: Index): boolean {
    const s = this.d.settings;
    return (s.snapshotEntries > 0 && applied - this.lastIndex >= s.snapshotEntries) || (s.snapshotLogBytes > 0 && this.bytesSince >= s.snapshotLogBytes);
  }

  /** Asks for a snapshot at the next point between applies; resolves with it once committed. */
  requestTake(): Promise<SnapshotMeta> {
    if (this.job?.kind === "install") return Promise.reject(new RaftError("Busy", "a snapshot is being installed; try again after it"));
    this.takeRequested = true;
    this.d.kick();
    return new Promise((resolve, reject) => this.takeWaiters.push({ resolve, reject }));
  }

  /** Called by the loop between applies: starts a requested or due take from the state machine's frozen view. */
  async takeIfRequested(applied: Index): Promise<void> {
    if (this.job !== undefined || !(this.takeRequested || this.due(applied))) return;
    this.takeRequested = false;
    const engine = this.d.engine();
    const term = engine.termAt(applied);
    if (applied === 0 || term === undefined || applied <= this.lastIndex) {
      // Nothing new since the last snapshot: that one is the answer.
      const latest = await this.d.store.latest();
      this.settleTakers(latest, new RaftError("Unavailable", "nothing applied yet: no snapshot to take"));
      return;
    }
    const view = await this.d.stateMachine.snapshot();
    const draft = { index: applied, term, membership: engine.membership() };
    this.start("take", applied, undefined, async (signal) => {
      const meta = await writeSnapshot(this.d.store, draft, view, signal);
      this.lastIndex = Math.max(this.lastIndex, meta.index);
      this.bytesSince = 0;
      this.stats.taken++;
      this.d.engine().snapshotTaken(meta);
      this.d.kick();
      await this.d.store.prune(this.d.settings.keepSnapshots);
      this.d.logger.info("snapshot taken", { id: meta.id, index: meta.index, size: meta.size });
      this.d.onEvent({ kind: "taken", meta });
      this.settleTakers(meta);
    });
  }

  /** The engine asks for an install: fetch, verify, restore, report. */
  install(target: SnapshotToInstall): void {
    const current = this.job;
    if (current?.kind === "install" && (current.id === target.meta.id || current.index > target.meta.index)) return;
    current?.abort.abort(new RaftError("Aborted", `superseded by an install of ${target.meta.id}`));
    this.start(
      "install",
      target.meta.index,
      target.meta.id,
      async (signal) => {
        if (current !== undefined) await current.done; // never overlap with the job it replaces
        const s = this.d.settings;
        const { from, meta: offered } = target;
        const onProgress = (done: number, source: TransferSource) => this.transfers.progress(from, "receive", offered.id, done, offered.size, source);
        const meta = await fetchSnapshot(
          target,
          { ...this.d, stats: this.stats, chunkSize: s.chunkBytes, progressTimeoutMs: s.progressTimeoutMs, maxAttempts: s.maxAttempts, onProgress },
          signal,
        ).finally(() => this.transfers.end(from, "receive", offered.id, false));
        if (signal.aborted) return;
        this.d.logger.debug("snapshot fetched and verified; restoring", { id: meta.id, size: meta.size });
        // The engine withholds applies while it waits for this install, so restoring cannot race them.
        await this.d.stateMachine.restore(meta, readSnapshot(this.d.store, meta, s.chunkBytes, this.d.stateMachine));
        this.lastIndex = Math.max(this.lastIndex, meta.index);
        this.bytesSince = 0;
        this.stats.installed++;
        this.d.engine().snapshotInstalled(meta);
        this.d.kick();
        await this.d.store.prune(s.keepSnapshots);
        this.d.logger.info("snapshot installed", { id: meta.id, index: meta.index, size: meta.size });
        this.d.onEvent({ kind: "installed", meta });
      },
      (error) => {
        this.d.engine().snapshotFailed(target.meta);
        this.d.kick();
        this.d.logger.warn("snapshot install failed", { id: target.meta.id, error: error.message });
      },
    );
  }

  /**
   * Small snapshots travel inside InstallSnapshot (the embedded mode),
   * saving the follower a round trip. Larger ones are offered at their
   * location when the store can `locate()` them (a follower that can read it
   * fetches from there, not from this node); this node still serves them
   * over the transport to followers that cannot. Returns the message to send.
   */
  async decorate(m: Message): Promise<Message> {
    if (m.type !== "InstallSnapshot") return m;
    if (m.snapshot.size > this.d.settings.inlineBytes) return this.located(m);
    try {
      const inline = [];
      for (const f of m.snapshot.files) {
        const parts: Uint8Array[] = [];
        for await (const chunk of this.d.store.open(m.snapshot.id, f.name)) parts.push(chunk);
        inline.push({ name: f.name, data: Buffer.concat(parts) });
      }
      return { ...m, inline };
    } catch (e) {
      this.d.logger.warn("could not inline a snapshot; the follower will pull it", { id: m.snapshot.id, error: (e as Error).message });
      return this.located(m);
    }
  }

  /** The offer with the snapshot's location as its source, if the store has one; otherwise (or on any doubt) as it is: pull from this node. */
  private async located(m: Message & { type: "InstallSnapshot" }): Promise<Message> {
    if (this.d.store.locate === undefined || m.source.kind !== "peer") return m;
    try {
      const url = await this.d.store.locate(m.snapshot.id);
      if (url === undefined) return m;
      const offer: Message = { ...m, source: { kind: "url", url } };
      parseMessage(offer); // a URL the wire schema refuses would make the follower drop the whole frame
      return offer;
    } catch (e) {
      this.d.logger.warn("could not locate a snapshot; the follower will pull it from this node", { id: m.snapshot.id, error: (e as Error).message });
      return m;
    }
  }

  /** Aborts whatever runs and waits for it. */
  async stop(): Promise<void> {
    const job = this.job;
    job?.abort.abort(new RaftError("Stopped", "the node is stopping"));
    await job?.done;
    this.settleTakers(undefined, new RaftError("Stopped", "the node stopped before the snapshot was taken"));
  }

  private start(kind: Job["kind"], index: Index, id: string | undefined, run: (signal: AbortSignal) => Promise<void>, onError?: (e: Error) => void): void {
    const abort = new AbortController();
    const done = run(abort.signal).then(
      () => undefined,
      (e: unknown) => {
        const error = e instanceof Error ? e : new Error(String(e));
        if (kind === "take") {
          this.d.logger.warn("snapshot failed", { index, error: error.message });
          this.settleTakers(undefined, isRaftError(error) ? error : new RaftError("StorageFailure", error.message, { cause: error }));
        }
        if (!abort.signal.aborted) onError?.(error);
      },
    );
    const job: Job = {
      kind,
      index,
      id,
      abort,
      done: done.finally(() => {
        if (this.job !== job) return;
        this.job = undefined;
        this.d.kick(); // the policy may be due again
      }),
    };
    this.job = job;
  }

  private settleTakers(meta: SnapshotMeta | undefined, error?: Error): void {
    const waiters = this.takeWaiters;
    this.takeWaiters = [];
    for (const w of waiters) {
      if (meta !== undefined) w.resolve(meta);
      else w.reject(error ?? new RaftError("Unavailable", "no new entries were applied since the last snapshot"));
    }
  }
}
