import Database from "better-sqlite3";
import type { Entry, HardState } from "@raft/core/contracts";
import type { BatchRow } from "./entry-batch.js";
import { kindCode } from "./entry-codec.js";
import { WriteStatements } from "./write-statements.js";
import type { Synchronous } from "./writer-protocol.js";

/** SQLite's own autocheckpoint interval, in pages: about this many written here, the writer thread checkpoints. */
const CHECKPOINT_PAGES = 1000;

/** How long writes go back to the writer thread after a slow inline commit. */
const PAUSE_MS = 2000;

export interface InlineLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** An inline commit slower than this (a disk busy with other writes) sends writes back to the writer thread for 2 s. */
  readonly slowCommitMs: number;
}

/**
 * A second write connection, on the calling (main) thread, for the small
 * writes a peer waits for (`LogWrite.awaited`: a follower's acknowledgement,
 * a vote). The store uses it only while its writer thread is idle, so the two
 * connections never write at once. Handing such a write to the writer thread
 * and hearing back costs two thread wake-ups, each 100–200 µs on a small VM
 * whose idle cores halt: more than the commit itself, and on the path of
 * every acknowledgement at low load. Under load, writes are larger and go
 * to the writer thread as before, keeping the event loop free while the disk
 * syncs.
 *
 * This connection never checkpoints (`wal_autocheckpoint = 0`), so the main
 * thread never copies the WAL back into the database; once it has written
 * about SQLite's own interval of pages, `checkpointDue()` says so and the
 * store has the writer thread do it.
 *
 * An fsync can take hundreds of milliseconds on a disk busy with other
 * writes (a follower catching up beside this one, a snapshot being written),
 * and the event loop would stand still meanwhile: after one commit slower
 * than `slowCommitMs`, `fits` says no for 2 s.
 */
export class InlineWriter {
  private pagesSinceCheckpoint = 0;
  /** No inline commit before this time (`now()`): the last one was slow. */
  private pausedUntil = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly db: Database.Database,
    private readonly sql: WriteStatements,
    private readonly inTransaction: (fn: () => void) => void,
    private readonly limits: InlineLimits,
    private readonly pageSize: number,
    private readonly now: () => number,
  ) {}

  /** Opens the connection on the log the writer thread already opened in WAL mode; throws SQLite's error. */
  static open(path: string, settings: { synchronous: Synchronous; busyTimeoutMs: number; pageSize: number }, limits: InlineLimits, now: () => number = () => performance.now()): InlineWriter {
    const db = new Database(path, { fileMustExist: true, timeout: settings.busyTimeoutMs });
    try {
      const mode = db.pragma("journal_mode", { simple: true });
      if (mode !== "wal") throw new Error(`the log is not in WAL mode (journal_mode is ${String(mode)})`);
      db.pragma(`synchronous = ${settings.synchronous}`);
      db.pragma("wal_autocheckpoint = 0");
      db.pragma("cell_size_check = ON");
      const inTransaction = db.transaction((fn: () => void) => fn());
      return new InlineWriter(db, new WriteStatements(db), inTransaction, limits, settings.pageSize, now);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Whether these entries are few and small enough to commit here, and the disk was quick at the last commit here. */
  fits(entries: readonly Entry[]): boolean {
    return entries.length <= this.limits.maxEntries && payloadBytes(entries) <= this.limits.maxBytes && this.now() >= this.pausedUntil;
  }

  /** Appends the entries (contiguous, after the last stored one) and sets the hard state, in one transaction; throws SQLite's error, leaving the file as it was. */
  write(entries: readonly Entry[], hardState: HardState | undefined): void {
    const rows: BatchRow[] = entries.map((e) => ({ index: e.index, term: e.term, code: kindCode(e.kind), data: asBuffer(e.data) }));
    const started = this.now();
    this.inTransaction(() => {
      if (rows.length > 0) this.sql.insert(rows);
      if (hardState !== undefined) this.sql.setHardState(hardState.term, hardState.vote, hardState.commit);
    });
    const finished = this.now();
    if (finished - started > this.limits.slowCommitMs) this.pausedUntil = finished + PAUSE_MS;
    // The last leaf of the entries table, the state row's page, and the pages the payloads fill.
    this.pagesSinceCheckpoint += (rows.length > 0 ? 1 : 0) + (hardState !== undefined ? 1 : 0) + Math.ceil(payloadBytes(entries) / this.pageSize);
  }

  /** True once about a checkpoint's worth of pages was written here since it last said so. */
  checkpointDue(): boolean {
    if (this.pagesSinceCheckpoint < CHECKPOINT_PAGES) return false;
    this.pagesSinceCheckpoint = 0;
    return true;
  }

  close(): void {
    this.db.close();
  }
}

function payloadBytes(entries: readonly Entry[]): number {
  let bytes = 0;
  for (const e of entries) bytes += e.data.byteLength;
  return bytes;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
