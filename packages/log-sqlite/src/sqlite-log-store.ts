import { resolve } from "node:path";
import type Database from "better-sqlite3";
import { Index, NodeId, RaftError, Term, type Entry, type HardState, type Logger, type LogStore, type LogWrite } from "@raft/core/contracts";
import { decodeEntry, kindCode } from "./entry-codec.js";
import { BatchBuffers, batchBytes, encodeEntries } from "./entry-batch.js";
import { InlineWriter } from "./inline-writer.js";
import { lockLog, lockPath } from "./lock.js";
import { planWrite, type LogPosition } from "./log-position.js";
import { openReader } from "./open-database.js";
import { resolveOptions, type SqliteLogStoreOptions, type SqliteSynchronous } from "./options.js";
import { ReadStatements, type StoredState } from "./read-statements.js";
import { storageError } from "./storage-errors.js";
import type { WriterSettings } from "./writer-protocol.js";
import { ReaderThread } from "./reader-thread.js";
import { WriterThread, type WriteRequest } from "./writer-thread.js";

/** What the store runs with: the write connection's settings, read back from SQLite in the writer thread when it opened. */
export interface SqliteLogStoreInfo {
  readonly path: string;
  /** The file whose lock keeps out every other writer (`<path>-lock`). */
  readonly lockPath: string;
  readonly journalMode: string;
  readonly synchronous: SqliteSynchronous | "OFF" | "EXTRA";
  /** The log's own locking mode: `normal`, since the read and write connections share the file (the lock file keeps other writers out). */
  readonly lockingMode: string;
  readonly pageSize: number;
}

/** How the store's writes were carried out since it opened. */
export interface SqliteLogStoreStats {
  /** Saves committed on the calling thread (small ones a peer waited for: `inlineWriteMaxEntries`). */
  savesInline: number;
  /** Saves committed by the writer thread. */
  savesOnThread: number;
  /** Checkpoints the writer thread ran after writes made inline (its own commits checkpoint by themselves). */
  checkpoints: number;
}

const SYNCHRONOUS_NAMES = ["OFF", "NORMAL", "FULL", "EXTRA"] as const;

/**
 * The `LogStore` port in one SQLite file per node (better-sqlite3, WAL).
 *
 * Writes run in a writer thread (writer-worker.ts) that owns the write
 * connection: each `save` and `compact` is one transaction there, committed
 * (and, with `synchronous=FULL`, fsynced) before its promise resolves, while
 * the event loop runs on. A small save a peer waits for, made while the
 * thread is idle, commits on the calling thread instead (inline-writer.ts),
 * just as durably. Reads are synchronous prepared statements on a
 * read connection of the main thread. The first and last index, the terms
 * at both ends and the hard state are held in memory and change only when
 * the thread reports a commit (or an inline save commits, before `save()`
 * returns), so reads never show a part of a write, nor a threaded one
 * before its promise resolves; a write that rewrites or removes rows
 * reads may still ask for (truncation, reset, compaction) holds the read
 * connection on a snapshot of the file until it resolves.
 *
 * Writes run one at a time, in call order; one issued while another is in
 * flight waits for it. A lock file next to the log keeps every other store
 * out until `close()`.
 */
export class SqliteLogStore implements LogStore {
  private position: LogPosition;
  private hardState: HardState;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Set when a write failed in the writer thread, or the thread died: the file may no longer match memory, so no further write is tried. */
  private failure: RaftError | undefined;
  /** A write is with the writer thread. */
  private busy = false;
  /** Writes issued while one was in flight, each starting itself in turn. */
  private readonly waiting: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly buffers = new BatchBuffers();
  /** Reads for `readAhead`, on a thread started by the first of them. */
  private readonly reader: ReaderThread;
  private readonly counts: SqliteLogStoreStats = { savesInline: 0, savesOnThread: 0, checkpoints: 0 };

  private constructor(
    /** The absolute path of the file. */
    readonly path: string,
    private readonly lock: Database.Database,
    private readonly db: Database.Database,
    private readonly sql: ReadStatements,
    private readonly writer: WriterThread,
    /** The calling thread's write connection, unless `inlineWriteMaxEntries` is 0. */
    private readonly inline: InlineWriter | undefined,
    private readonly settings: WriterSettings,
    state: { position: LogPosition; hardState: HardState },
    private readonly logger: Logger,
    busyTimeoutMs: number,
  ) {
    this.reader = new ReaderThread(path, busyTimeoutMs, logger);
    this.position = state.position;
    this.hardState = state.hardState;
    writer.onDeath = (error) => this.fail(error);
  }

  /**
   * Opens the log at `options.path`, creating an empty one if the file is
   * missing. Rejects with `InvalidConfig` (bad options), `Corrupt` (a damaged,
   * truncated or foreign file), or `StorageFailure` (locked by another
   * store, newer schema, I/O failure, no writer thread), each naming the file.
   */
  static async open(options: SqliteLogStoreOptions): Promise<SqliteLogStore> {
    const o = resolveOptions(options);
    const path = resolve(o.path);
    const started = performance.now();
    const lock = lockLog(path, o.busyTimeoutMs);
    let db: Database.Database | undefined;
    let writer: WriterThread | undefined;
    let inline: InlineWriter | undefined;
    let store: SqliteLogStore;
    try {
      // The thread loads (a few ms) while this thread checks the file.
      writer = WriterThread.start(path);
      db = openReader(path, o);
      const sql = new ReadStatements(db);
      const state = loadState(sql, path);
      const settings = await writer.open({ synchronous: o.synchronous, busyTimeoutMs: o.busyTimeoutMs });
      if (o.inlineWriteMaxEntries > 0) {
        const limits = { maxEntries: o.inlineWriteMaxEntries, maxBytes: o.inlineWriteMaxBytes, slowCommitMs: o.inlineWriteSlowMs };
        inline = InlineWriter.open(path, { synchronous: o.synchronous, busyTimeoutMs: o.busyTimeoutMs, pageSize: settings.pageSize }, limits);
      }
      store = new SqliteLogStore(path, lock, db, sql, writer, inline, settings, state, o.logger, o.busyTimeoutMs);
    } catch (error) {
      inline?.close();
      await writer?.terminate();
      db?.close();
      lock.close();
      throw storageError(path, "opening the log", error);
    }
    o.logger.info("sqlite log opened", {
      path,
      firstIndex: store.firstIndex(),
      lastIndex: store.lastIndex(),
      synchronous: o.synchronous,
      integrityCheck: o.integrityCheck,
      openMs: Math.round(performance.now() - started),
    });
    return store;
  }

  firstIndex(): Index {
    this.checkOpen();
    return Index.of(this.position.base + 1);
  }

  lastIndex(): Index {
    this.checkOpen();
    return this.position.last;
  }

  term(index: Index): Term {
    this.checkOpen();
    return this.termAt(index);
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    this.checkOpen();
    this.checkRange(lo, hi);
    return this.read("reading entries", () => {
      const out: Entry[] = [];
      let bytes = 0;
      // Rows come one at a time: leaving the loop early leaves the rest of the range unread.
      for (const row of this.sql.range(lo, hi)) {
        const e = decodeEntry(row, this.path);
        if (e.index !== lo + out.length) throw new RaftError("Corrupt", `${this.path}: entry ${lo + out.length} is missing inside the log`);
        if (out.length > 0 && bytes + e.data.length > maxBytes) break;
        bytes += e.data.length;
        out.push(e);
      }
      if (out.length === 0 && lo < hi) throw new RaftError("Corrupt", `${this.path}: entry ${lo} is missing inside the log`);
      return out;
    });
  }

  /**
   * Reads entries in [lo, hi) as `entries()` does, on a reader thread with a
   * connection of its own, so catch-up reads never hold the event loop. It
   * sees what was committed when it runs: the runtime asks only below its
   * writes in flight (see `LogStore.readAhead`).
   */
  readAhead(lo: Index, hi: Index, maxBytes: number): Promise<Entry[]> {
    try {
      this.checkOpen();
      this.checkRange(lo, hi);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.reader.read(lo, hi, maxBytes);
  }

  async loadHardState(): Promise<HardState> {
    this.checkOpen();
    return { ...this.hardState };
  }

  save(write: LogWrite): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.enqueue(() => this.startSave(write));
  }

  compact(index: Index): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.enqueue(() => this.startCompact(index));
  }

  /**
   * Waits for the writes issued before it, then closes the read connection,
   * the write connection (the last to close checkpoints the WAL into the
   * file, in the writer thread), ends the thread, and releases the lock.
   * Later calls reject with `StorageFailure`.
   */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.shutDown();
    return this.closing;
  }

  /** How the writes were carried out so far (a copy). */
  stats(): SqliteLogStoreStats {
    return { ...this.counts };
  }

  /** The settings the write connection runs with, read from SQLite itself when it opened. */
  info(): SqliteLogStoreInfo {
    this.checkOpen();
    const s = this.settings;
    return {
      path: this.path,
      lockPath: lockPath(this.path),
      journalMode: s.journalMode,
      synchronous: SYNCHRONOUS_NAMES[s.synchronous] ?? "OFF",
      lockingMode: s.lockingMode,
      pageSize: s.pageSize,
    };
  }

  private async shutDown(): Promise<void> {
    await this.idle();
    let first: unknown;
    const attempt = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (error) {
        first ??= error;
      }
    };
    // The read connections first, so that the writer's is the last one and checkpoints the WAL off this thread.
    await attempt(() => this.reader.close());
    await attempt(() => {
      this.sql.unpin();
      this.db.close();
    });
    await attempt(() => this.inline?.close());
    await attempt(() => this.writer.close());
    await attempt(() => this.lock.close());
    if (first !== undefined) throw storageError(this.path, "closing the log", first);
  }

  /** Runs `start` now if no write is in flight, else once the writes before it have settled. */
  private enqueue(start: () => Promise<void>): Promise<void> {
    if (!this.busy && this.waiting.length === 0) return this.begin(start);
    return new Promise((resolve, reject) => this.waiting.push(() => void this.begin(start).then(resolve, reject)));
  }

  private begin(start: () => Promise<void>): Promise<void> {
    this.busy = true;
    let run: Promise<void>;
    try {
      run = start();
    } catch (error) {
      run = Promise.reject(error);
    }
    const next = () => {
      this.busy = false;
      const waiting = this.waiting.shift();
      if (waiting !== undefined) waiting();
      else this.notifyIdle();
    };
    run.then(next, next);
    return run;
  }

  private idle(): Promise<void> {
    if (!this.busy && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private startSave(write: LogWrite): Promise<void> {
    this.checkWritable();
    const plan = planWrite(write, this.position);
    const { reset, hardState, entries } = write;
    if (reset === undefined && hardState === undefined && entries.length === 0) return Promise.resolve();
    // Copied now: the caller may reuse its objects and buffers once save() returns.
    const hs = hardState === undefined ? undefined : { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
    if (write.awaited === true && reset === undefined && plan.truncateFrom === undefined && this.inline?.fits(entries)) {
      return this.saveInline(this.inline, entries, hs, () => {
        this.position = plan.next;
        if (hs !== undefined) this.hardState = hs;
      });
    }
    const bytes = entries.length === 0 ? 0 : batchBytes(entries);
    const batch = entries.length === 0 ? null : this.buffers.take(bytes);
    if (batch !== null) encodeEntries(entries, kindCode, batch);
    const { base, last } = this.position;
    // Rows reads may still ask for are rewritten or removed: hold reads on the file as it is until the write resolves.
    const rewrites = last > base && (reset !== undefined || plan.truncateFrom !== undefined);
    const request: WriteRequest = {
      type: "save",
      reset: reset === undefined ? null : [reset.index, reset.term],
      truncateFrom: plan.truncateFrom ?? null,
      entries: batch,
      bytes,
      count: entries.length,
      hardState: hs === undefined ? null : [hs.term, hs.vote, hs.commit],
    };
    return this.send("saving", request, batch === null ? [] : [batch], rewrites, () => {
      this.counts.savesOnThread++;
      this.position = plan.next;
      if (hs !== undefined) this.hardState = hs;
    });
  }

  /**
   * Commits an append-only save on this thread (the writer thread is idle:
   * the store runs one write at a time), then, once about a checkpoint's
   * worth of pages was written this way, queues a checkpoint on the thread.
   */
  private saveInline(inline: InlineWriter, entries: readonly Entry[], hs: HardState | undefined, commit: () => void): Promise<void> {
    try {
      inline.write(entries, hs);
    } catch (error) {
      const e = storageError(this.path, "saving", error);
      this.fail(e);
      return Promise.reject(e);
    }
    this.counts.savesInline++;
    commit();
    if (inline.checkpointDue()) {
      // A failure is the store's failure (send() records it); no caller waits for this promise.
      this.enqueue(() => this.send("checkpointing", { type: "checkpoint" }, [], false, () => this.counts.checkpoints++)).catch(() => {});
    }
    return Promise.resolve();
  }

  private startCompact(index: Index): Promise<void> {
    this.checkWritable();
    const { base, last } = this.position;
    if (!Number.isSafeInteger(index)) throw new RaftError("StorageFailure", `cannot compact to ${String(index)}: not an index`);
    if (index <= base) return Promise.resolve();
    if (index > last) throw new RaftError("Unavailable", `cannot compact to ${index}: the log ends at ${last}`);
    const term = this.termAt(index);
    return this.send("compacting", { type: "compact", index, term }, [], true, () => {
      this.position = { ...this.position, base: index, baseTerm: term };
    });
  }

  /**
   * Hands a write to the writer thread and, once it reports the commit,
   * applies it to memory (`commit`) and resolves. With `pin`, reads stay on
   * the file as it was until then. A failure stops all later writes.
   */
  private async send(action: string, request: WriteRequest, transfer: ArrayBuffer[], pin: boolean, commit: () => void): Promise<void> {
    if (pin) this.read("holding a snapshot for reads", () => this.sql.pin());
    try {
      const returned = await this.writer.write(request, transfer);
      if (returned !== null) this.buffers.give(returned);
    } catch (error) {
      this.unpin();
      const e = storageError(this.path, action, error);
      this.fail(e);
      throw e;
    }
    commit();
    this.unpin();
  }

  private unpin(): void {
    try {
      this.sql.unpin();
    } catch (error) {
      this.fail(storageError(this.path, "releasing the read snapshot", error));
    }
  }

  private fail(error: RaftError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.logger.error("sqlite log write failed; the store refuses further writes", { path: this.path, code: error.code, error: error.message });
  }

  private termAt(index: Index): Term {
    const { base, baseTerm, last, lastTerm } = this.position;
    if (index === base) return baseTerm;
    if (index === last) return lastTerm;
    this.checkRange(index, Index.of(index + 1));
    const term = this.read("reading a term", () => this.sql.term(index));
    if (term === undefined) throw new RaftError("Corrupt", `${this.path}: entry ${index} is missing inside the log [${base + 1}, ${last}]`);
    return Term.of(term);
  }

  private read<T>(action: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw storageError(this.path, action, error);
    }
  }

  private checkRange(lo: Index, hi: Index): void {
    const { base, last } = this.position;
    if (lo <= base) throw new RaftError("Compacted", `index ${lo} is compacted (first index ${base + 1})`);
    if (hi > last + 1) throw new RaftError("Unavailable", `index ${hi - 1} is beyond the last index ${last}`);
  }

  private closedError(): RaftError {
    return new RaftError("StorageFailure", `the log ${this.path} is closed`);
  }

  private checkOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private checkWritable(): void {
    if (this.failure !== undefined) {
      throw new RaftError("StorageFailure", `an earlier write to ${this.path} failed (${this.failure.message}); reopen the store`, { cause: this.failure });
    }
  }
}

/** The position and hard state stored in the file, checked for consistency with the entries it holds. */
function loadState(sql: ReadStatements, path: string): { position: LogPosition; hardState: HardState } {
  const rows = sql.states();
  const row = rows[0];
  if (rows.length !== 1 || row === undefined) throw new RaftError("Corrupt", `${path}: the state table has ${rows.length} rows instead of 1`);
  for (const [name, value] of Object.entries(row) as [keyof StoredState, unknown][]) {
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new RaftError("Corrupt", `${path}: stored ${name} is ${String(value)}, not a non-negative integer`);
  }
  const base = row.base_index;
  const [min, max] = sql.bounds();
  if (min !== undefined && min !== base + 1) throw new RaftError("Corrupt", `${path}: the first entry is ${min} but the log was compacted up to ${base}`);
  const last = max ?? base;
  const lastTerm = max === undefined ? row.base_term : sql.term(max);
  if (lastTerm === undefined) throw new RaftError("Corrupt", `${path}: entry ${last} vanished while loading`);
  return {
    position: { base: Index.of(base), baseTerm: Term.of(row.base_term), last: Index.of(last), lastTerm: Term.of(lastTerm) },
    hardState: { term: Term.of(row.term), vote: row.vote === 0 ? 0 : NodeId.of(row.vote), commit: Index.of(row.commit_index) },
  };
}
