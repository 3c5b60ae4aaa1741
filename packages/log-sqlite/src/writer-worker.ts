/**
 * The writer thread of a `SqliteLogStore` (started by writer-thread.ts; not
 * an API). It owns the log's write connection and runs each save and
 * compaction it is sent as one transaction, committed (and, with
 * `synchronous=FULL`, fsynced) before it replies, so the main thread's event
 * loop runs on while the disk syncs. One request at a time, in the order sent.
 */
import { isMainThread, parentPort, type MessagePort } from "node:worker_threads";
import Database from "better-sqlite3";
import { decodeEntries } from "./entry-batch.js";
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

let connection: Connection | undefined;

const reply = (message: WriterReply): void => port.postMessage(message);

port.on("message", (value: unknown) => {
  let request: WriterRequest;
  try {
    request = parseRequest(value);
  } catch (error) {
    const id = typeof value === "object" && value !== null && Number.isSafeInteger((value as { id?: unknown }).id) ? ((value as { id: number }).id) : null;
    reply({ type: "failed", id, error: toWriterError(error) });
    return;
  }
  switch (request.type) {
    case "open":
      handleOpen(request);
      return;
    case "save":
    case "compact":
      handleWrite(request);
      return;
    case "close":
      handleClose();
      return;
  }
});

function handleOpen(request: Extract<WriterRequest, { type: "open" }>): void {
  if (request.protocol !== PROTOCOL_VERSION) {
    reply({ type: "failed", id: null, error: { message: `the writer thread speaks protocol ${PROTOCOL_VERSION}, the store ${request.protocol}: the build of @raft/log-sqlite is out of date or mixed`, code: "" } });
    return;
  }
  if (connection !== undefined) {
    reply({ type: "failed", id: null, error: { message: "the writer connection is already open", code: "" } });
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

function handleWrite(request: Extract<WriterRequest, { type: "save" | "compact" }>): void {
  const c = connection;
  if (c === undefined) {
    reply({ type: "failed", id: request.id, error: { message: "the writer connection is not open", code: "" } });
    return;
  }
  try {
    if (request.type === "compact") {
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

/** Closes the connection (the last one to close checkpoints the WAL into the file), replies, and lets the thread end. */
function handleClose(): void {
  const c = connection;
  connection = undefined;
  try {
    c?.db.close();
    reply({ type: "closed" });
  } catch (error) {
    reply({ type: "failed", id: null, error: toWriterError(error) });
  }
  port.close();
}
