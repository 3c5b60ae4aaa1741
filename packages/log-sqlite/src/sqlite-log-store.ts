import { resolve } from "node:path";
import type Database from "better-sqlite3";
import { RaftError, type Entry, type HardState, type Index, type Logger, type LogStore, type LogWrite, type Term } from "@raft/core/contracts";
import { decodeEntry } from "./entry-codec.js";
import { planWrite, type LogPosition } from "./log-position.js";
import { openDatabase } from "./open-database.js";
import { resolveOptions, type SqliteLogStoreOptions, type SqliteSynchronous } from "./options.js";
import { Statements, type StoredState } from "./statements.js";
import { storageError } from "./storage-errors.js";

/** What the open connection runs with, read back from SQLite (for operators and tests). */
export interface SqliteLogStoreInfo {
  readonly path: string;
  readonly journalMode: string;
  readonly synchronous: SqliteSynchronous | "OFF" | "EXTRA";
  readonly lockingMode: string;
  readonly pageSize: number;
}

const SYNCHRONOUS_NAMES = ["OFF", "NORMAL", "FULL", "EXTRA"] as const;

/**
 * The `LogStore` port in one SQLite file per node (better-sqlite3, WAL).
 * Each `save` is one transaction, committed (and, with `synchronous=FULL`,
 * fsynced) before its promise resolves. Reads are synchronous prepared
 * statements; the first and last index and the terms at both ends are kept
 * in memory, updated only after a transaction commits, so reads never see
 * uncommitted data. The connection holds the file's lock until `close()`.
 */
export class SqliteLogStore implements LogStore {
  private position: LogPosition;
  private hardState: HardState;
  private closed = false;
  /** Set when a write failed inside SQLite: the file may no longer match memory, so no further write is tried. */
  private failure: RaftError | undefined;
  /** BEGIN, the callback, COMMIT (ROLLBACK if it throws); wrapped once rather than per write. */
  private readonly inTransaction: (fn: () => void) => void;

  private constructor(
    /** The absolute path of the file. */
    readonly path: string,
    private readonly db: Database.Database,
    private readonly sql: Statements,
    private readonly logger: Logger,
  ) {
    const { position, hardState } = loadState(sql, path);
    this.inTransaction = db.transaction((fn: () => void) => fn());
    this.position = position;
    this.hardState = hardState;
  }

  /**
   * Opens the log at `options.path`, creating an empty one if the file is
   * missing. Rejects with `InvalidConfig` (bad options), `Corrupt` (a damaged,
   * truncated or foreign file), or `StorageFailure` (locked by another
   * connection, newer schema, I/O failure), each naming the file.
   */
  static async open(options: SqliteLogStoreOptions): Promise<SqliteLogStore> {
    const o = resolveOptions(options);
    const path = resolve(o.path);
    const started = performance.now();
    const db = openDatabase(path, o);
    let store: SqliteLogStore;
    try {
      store = new SqliteLogStore(path, db, new Statements(db), o.logger);
    } catch (error) {
      db.close();
      throw storageError(path, "loading the log", error);
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
    return this.position.base + 1;
  }

  lastIndex(): Index {
    this.checkOpen();
    return this.position.last;
  }

  term(index: Index): Term {
    this.checkOpen();
    const { base, baseTerm, last, lastTerm } = this.position;
    if (index === base) return baseTerm;
    if (index === last) return lastTerm;
    this.checkRange(index, index + 1);
    const term = this.read("reading a term", () => this.sql.term(index));
    if (term === undefined) throw new RaftError("Corrupt", `${this.path}: entry ${index} is missing inside the log [${base + 1}, ${last}]`);
    return term;
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

  async loadHardState(): Promise<HardState> {
    this.checkOpen();
    return { ...this.hardState };
  }

  async save(write: LogWrite): Promise<void> {
    this.checkWritable();
    const plan = planWrite(write, this.position);
    const { reset, hardState, entries } = write;
    if (reset === undefined && hardState === undefined && entries.length === 0) return;
    this.transaction("saving", () => {
      if (reset !== undefined) {
        this.sql.discardAll();
        this.sql.setBase(reset.index, reset.term);
      }
      if (plan.truncateFrom !== undefined) this.sql.truncateFrom(plan.truncateFrom);
      if (entries.length > 0) this.sql.insert(entries);
      if (hardState !== undefined) this.sql.setHardState(hardState.term, hardState.vote, hardState.commit);
    });
    this.position = plan.next;
    if (hardState !== undefined) this.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
  }

  async compact(index: Index): Promise<void> {
    this.checkWritable();
    const { base, last, lastTerm } = this.position;
    if (!Number.isSafeInteger(index)) throw new RaftError("StorageFailure", `cannot compact to ${String(index)}: not an index`);
    if (index <= base) return;
    if (index > last) throw new RaftError("Unavailable", `cannot compact to ${index}: the log ends at ${last}`);
    const term = this.term(index);
    this.transaction("compacting", () => {
      this.sql.discardThrough(index);
      this.sql.setBase(index, term);
    });
    this.position = { base: index, baseTerm: term, last, lastTerm };
  }

  /** Closes the connection, which checkpoints the WAL and releases the file's lock. Later calls reject with `StorageFailure`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } catch (error) {
      throw storageError(this.path, "closing the log", error);
    }
  }

  /** The settings the connection runs with, read from SQLite itself. */
  info(): SqliteLogStoreInfo {
    this.checkOpen();
    const pragma = (name: string): unknown => this.db.pragma(name, { simple: true });
    return {
      path: this.path,
      journalMode: String(pragma("journal_mode")),
      synchronous: SYNCHRONOUS_NAMES[Number(pragma("synchronous"))] ?? "OFF",
      lockingMode: String(pragma("locking_mode")),
      pageSize: Number(pragma("page_size")),
    };
  }

  /** Runs `fn` in one transaction (BEGIN … COMMIT, rolled back if it throws); a failure inside SQLite stops all later writes. */
  private transaction(action: string, fn: () => void): void {
    try {
      this.inTransaction(fn);
    } catch (error) {
      const e = storageError(this.path, action, error);
      this.failure = e;
      this.logger.error("sqlite log write failed; the store refuses further writes", { path: this.path, code: e.code, error: e.message });
      throw e;
    }
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

  private checkOpen(): void {
    if (this.closed) throw new RaftError("StorageFailure", `the log ${this.path} is closed`);
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.failure !== undefined) {
      throw new RaftError("StorageFailure", `an earlier write to ${this.path} failed (${this.failure.message}); reopen the store`, { cause: this.failure });
    }
  }
}

/** The position and hard state stored in the file, checked for consistency with the entries it holds. */
function loadState(sql: Statements, path: string): { position: LogPosition; hardState: HardState } {
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
    position: { base, baseTerm: row.base_term, last, lastTerm },
    hardState: { term: row.term, vote: row.vote, commit: row.commit_index },
  };
}
