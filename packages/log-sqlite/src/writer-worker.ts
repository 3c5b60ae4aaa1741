/**
 * The writer thread of a `SqliteLogStore` (started by writer-thread.ts; not
 * an API). It owns the log's write connection and runs each save and
 * compaction it is sent as one transaction, committed (and, with
 * `synchronous=FULL`, fsynced) before it replies, so the main thread's event
 * loop runs on while the disk syncs, and the checkpoints the store asks for
 * after writes it made inline. One request at a time, in the order sent.
 *
 * Opened read-only, the same script is the store's reader thread: it reads
 * ranges of entries (`readAhead`) on a connection of its own, off the main
 * thread, and sends them back packed in one transferred buffer.
 */
import { isMainThread, parentPort, type MessagePort } from "node:worker_threads";
import Database from "better-sqlite3";
import { batchBytes, decodeEntries, encodeEntries } from "./entry-batch.js";
import type { EntryRow } from "./entry-codec.js";
import { WriteStatements } from "./write-statements.js";
import { parseRequest, PROTOCOL_VERSION, toWriterError, type WriterReply, type WriterRequest } from "./writer-protocol.js";

if (isMainThread || parentPort === null) {
  throw new Error("@raft/log-sqlite/writer-worker is the SqliteLogStore's writer thread; it is started by SqliteLogStore.open, not imported");
}
const port: MessagePort = parentPort;

interface Connection {
  readonly db: Database.Database;
  readonly sql: WriteStatements;
  /** BEGIN, the callback, COMMIT (ROLLBACK if it throws). */
  readonly inTransaction: (fn: () => void) => void;
}

/** The read-only thread's connection. */
interface ReadConnection {
  readonly db: Database.Database;
  readonly range: Database.Statement<[number, number], EntryRow>;
}

let reader: ReadConnection | undefined;

let connection: Connection | undefined;

const reply = (message: WriterReply): void => port.postMessage(message);

port.on("message", (value: unknown) => {
  let request: WriterRequest;
  try {
    request = parseRequest(value);
  } catch (error) {
    const id = typeof value === "object" && value !== null && Number.isSafeInteger((value as { id?: unknown }).id) ? (value as { id: number }).id : null;
    reply({ type: "failed", id, error: toWriterError(error) });
    return;
  }
  switch (request.type) {
    case "open":
      handleOpen(request);
      return;
    case "save":
    case "compact":
    case "checkpoint":
      handleWrite(request);
      return;
    case "read":
      handleRead(request);
      return;
    case "close":
      handleClose();
      return;
  }
});

function handleOpen(request: Extract<WriterRequest, { type: "open" }>): void {
  if (request.protocol !== PROTOCOL_VERSION) {
    reply({
      type: "failed",
      id: null,
      error: { message: `the writer thread speaks protocol ${PROTOCOL_VERSION}, the store ${request.protocol}: the build of @raft/log-sqlite is out of date or mixed`, code: "" },
    });
    return;
  }
  if (connection !== undefined || reader !== undefined) {
    reply({ type: "failed", id: null, error: { message: "the connection is already open", code: "" } });
    return;
  }
  if (request.readOnly) {
    openReader(request);
    return;
  }
  let db: Database.Database | undefined;
  try {
    // The main thread has created and checked the file and holds its lock: this is the one connection that writes to it.
    db = new Database(request.path, { fileMustExist: true, timeout: request.busyTimeoutMs });
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") throw new Error(`SQLite refused WAL mode (journal_mode is ${String(mode)})`);
    db.pragma(`synchronous = ${request.synchronous}`);
    // A damaged page is then reported as SQLITE_CORRUPT when read, instead of being misread.
    db.pragma("cell_size_check = ON");
    const inTransaction = db.transaction((fn: () => void) => fn());
    connection = { db, sql: new WriteStatements(db), inTransaction };
    const pragma = (name: string): unknown => (db as Database.Database).pragma(name, { simple: true });
    reply({
      type: "opened",
      protocol: PROTOCOL_VERSION,
      settings: { journalMode: String(pragma("journal_mode")), synchronous: Number(pragma("synchronous")), lockingMode: String(pragma("locking_mode")), pageSize: Number(pragma("page_size")) },
    });
  } catch (error) {
    connection = undefined;
    try {
      db?.close();
    } catch {
      // The open failure is what gets reported.
    }
    reply({ type: "failed", id: null, error: toWriterError(error) });
  }
}

function handleWrite(request: Extract<WriterRequest, { type: "save" | "compact" | "checkpoint" }>): void {
  const c = connection;
  if (c === undefined) {
    reply({ type: "failed", id: request.id, error: { message: "the writer connection is not open", code: "" } });
    return;
  }
  try {
    if (request.type === "checkpoint") {
      c.db.pragma("wal_checkpoint(PASSIVE)");
    } else if (request.type === "compact") {
      c.inTransaction(() => {
        c.sql.discardThrough(request.index);
        c.sql.setBase(request.index, request.term);
      });
    } else {
      const rows = request.entries === null ? [] : decodeEntries(request.entries, request.bytes, request.count);
      const { reset, truncateFrom, hardState } = request;
      c.inTransaction(() => {
        if (reset !== null) {
          c.sql.discardAll();
          c.sql.setBase(reset[0], reset[1]);
        }
        if (truncateFrom !== null) c.sql.truncateFrom(truncateFrom);
        if (rows.length > 0) c.sql.insert(rows);
        if (hardState !== null) c.sql.setHardState(hardState[0], hardState[1], hardState[2]);
      });
    }
    // The batch goes back (transferred) for the store to reuse; the views bound into it are done with.
    const batch = request.type === "save" ? request.entries : null;
    port.postMessage({ type: "done", id: request.id, batch } satisfies WriterReply, batch === null ? [] : [batch]);
  } catch (error) {
    reply({ type: "failed", id: request.id, error: toWriterError(error) });
  }
}

function openReader(request: Extract<WriterRequest, { type: "open" }>): void {
  try {
    const db = new Database(request.path, { readonly: true, fileMustExist: true, timeout: request.busyTimeoutMs });
    db.pragma("cell_size_check = ON");
    const range = db.prepare<[number, number], EntryRow>("SELECT idx, term, kind, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx").raw();
    reader = { db, range };
    const pragma = (name: string): unknown => db.pragma(name, { simple: true });
    reply({
      type: "opened",
      protocol: PROTOCOL_VERSION,
      settings: { journalMode: String(pragma("journal_mode")), synchronous: Number(pragma("synchronous")), lockingMode: String(pragma("locking_mode")), pageSize: Number(pragma("page_size")) },
    });
  } catch (error) {
    reply({ type: "failed", id: null, error: toWriterError(error) });
  }
}

/** Reads the rows (stopping once past maxBytes: the rest is never read) and sends them packed in one transferred buffer. */
function handleRead(request: Extract<WriterRequest, { type: "read" }>): void {
  const r = reader;
  if (r === undefined) {
    reply({ type: "failed", id: request.id, error: { message: "the reader connection is not open", code: "" } });
    return;
  }
  try {
    const rows: { index: number; term: number; kind: number; data: Uint8Array }[] = [];
    let bytes = 0;
    for (const [index, term, kind, data] of r.range.iterate(request.lo, request.hi)) {
      if (rows.length > 0 && bytes + data.length > request.maxBytes) break;
      rows.push({ index, term, kind, data });
      bytes += data.length;
    }
    const used = batchBytes(rows);
    const batch = Buffer.allocUnsafeSlow(Math.max(used, 1)).buffer as ArrayBuffer;
    encodeEntries(rows, (code) => code, batch);
    port.postMessage({ type: "entries", id: request.id, batch, bytes: used, count: rows.length } satisfies WriterReply, [batch]);
  } catch (error) {
    reply({ type: "failed", id: request.id, error: toWriterError(error) });
  }
}

/** Closes the connection (the last one to close checkpoints the WAL into the file), replies, and lets the thread end. */
function handleClose(): void {
  const c = connection ?? reader;
  connection = undefined;
  reader = undefined;
  try {
    c?.db.close();
    reply({ type: "closed" });
  } catch (error) {
    reply({ type: "failed", id: null, error: toWriterError(error) });
  }
  port.close();
}
