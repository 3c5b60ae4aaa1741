/**
 * Messages between the store (main thread) and its writer thread. Both sides
 * check what they receive before acting on it. No dependency on @raft/core:
 * the writer thread loads only this package's files and better-sqlite3.
 */

/**
 * Changes with any change to the messages. The store runs from its sources in
 * this repository's tests, but the writer thread always from the build (see
 * writer-thread.ts): a stale build is refused with a clear error instead of
 * misreading messages.
 */
export const PROTOCOL_VERSION = 4;

export type Synchronous = "FULL" | "NORMAL";

export type WriterRequest =
  /** `readOnly`: the thread only reads (a second thread, for reads off the main thread); else it is the one writer. */
  | { readonly type: "open"; readonly protocol: number; readonly path: string; readonly synchronous: Synchronous; readonly busyTimeoutMs: number; readonly readOnly: boolean }
  | {
      readonly type: "save";
      readonly id: number;
      /** Discard every entry and set the compaction point to (index, term), first. */
      readonly reset: readonly [index: number, term: number] | null;
      /** Discard entries at and after this index (before inserting). */
      readonly truncateFrom: number | null;
      /** `count` entries packed by `encodeEntries` into the first `bytes` bytes, or null when there are none. */
      readonly entries: ArrayBuffer | null;
      readonly bytes: number;
      readonly count: number;
      readonly hardState: readonly [term: number, vote: number, commit: number] | null;
    }
  | { readonly type: "compact"; readonly id: number; readonly index: number; readonly term: number }
  /** Copy the WAL back into the database as far as readers allow (PRAGMA wal_checkpoint(PASSIVE)): the store asks after writes made on another connection. */
  | { readonly type: "checkpoint"; readonly id: number }
  /** Entries in [lo, hi), at least one, stopping once their data exceeds `maxBytes` (a read-only thread's request). */
  | { readonly type: "read"; readonly id: number; readonly lo: number; readonly hi: number; readonly maxBytes: number }
  | { readonly type: "close" };

/** What the writer connection runs with, read back from SQLite once it is open. */
export interface WriterSettings {
  readonly journalMode: string;
  readonly synchronous: number;
  readonly lockingMode: string;
  readonly pageSize: number;
}

/** An error of the writer thread, reduced to what crosses threads: SQLite's or Node's code is kept for classification. */
export interface WriterError {
  readonly message: string;
  readonly code: string;
}

export type WriterReply =
  | { readonly type: "opened"; readonly protocol: number; readonly settings: WriterSettings }
  /** `batch`: the request's entry buffer, sent back for the next batch to reuse. */
  | { readonly type: "done"; readonly id: number; readonly batch: ArrayBuffer | null }
  /** The entries a read found, packed by `encodeEntries` into the first `bytes` bytes of `batch` (transferred). */
  | { readonly type: "entries"; readonly id: number; readonly batch: ArrayBuffer; readonly bytes: number; readonly count: number }
  /** `id` is null for a failure that belongs to no write: opening, closing, or a request it could not read. */
  | { readonly type: "failed"; readonly id: number | null; readonly error: WriterError }
  | { readonly type: "closed" };

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null;
}

const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function isTuple(value: unknown, length: number): value is number[] {
  return Array.isArray(value) && value.length === length && value.every(isIndex);
}

/** A request, checked field by field; throws an `Error` saying what is wrong. */
export function parseRequest(value: unknown): WriterRequest {
  if (!isObject(value)) throw new Error(`writer request is not an object: ${describe(value)}`);
  const m = value;
  switch (m.type) {
    case "open":
      if (isIndex(m.protocol) && typeof m.path === "string" && (m.synchronous === "FULL" || m.synchronous === "NORMAL") && isIndex(m.busyTimeoutMs) && typeof m.readOnly === "boolean") {
        return m as WriterRequest;
      }
      break;
    case "save": {
      const entriesOk = m.entries === null ? m.count === 0 && m.bytes === 0 : m.entries instanceof ArrayBuffer && isIndex(m.count) && (m.count as number) > 0 && isIndex(m.bytes);
      if (isIndex(m.id) && (m.reset === null || isTuple(m.reset, 2)) && (m.truncateFrom === null || isIndex(m.truncateFrom)) && entriesOk && (m.hardState === null || isTuple(m.hardState, 3))) {
        return m as WriterRequest;
      }
      break;
    }
    case "compact":
      if (isIndex(m.id) && isIndex(m.index) && isIndex(m.term)) return m as WriterRequest;
      break;
    case "checkpoint":
      if (isIndex(m.id)) return m as WriterRequest;
      break;
    case "read":
      if (isIndex(m.id) && isIndex(m.lo) && isIndex(m.hi) && typeof m.maxBytes === "number" && m.maxBytes >= 0) return m as WriterRequest;
      break;
    case "close":
      return m as WriterRequest;
  }
  throw new Error(`malformed writer request: ${describe(value)}`);
}

/** A reply, checked field by field; throws an `Error` saying what is wrong. */
export function parseReply(value: unknown): WriterReply {
  if (!isObject(value)) throw new Error(`writer reply is not an object: ${describe(value)}`);
  const m = value;
  switch (m.type) {
    case "opened": {
      const s = m.settings;
      if (isIndex(m.protocol) && isObject(s) && typeof s.journalMode === "string" && isIndex(s.synchronous) && typeof s.lockingMode === "string" && isIndex(s.pageSize)) return m as WriterReply;
      break;
    }
    case "done":
      if (isIndex(m.id) && (m.batch === null || m.batch instanceof ArrayBuffer)) return m as WriterReply;
      break;
    case "entries":
      if (isIndex(m.id) && m.batch instanceof ArrayBuffer && isIndex(m.bytes) && isIndex(m.count)) return m as WriterReply;
      break;
    case "failed": {
      const e = m.error;
      if ((m.id === null || isIndex(m.id)) && isObject(e) && typeof e.message === "string" && typeof e.code === "string") return m as WriterReply;
      break;
    }
    case "closed":
      return m as WriterReply;
  }
  throw new Error(`malformed writer reply: ${describe(value)}`);
}

/** An error as it crosses threads. */
export function toWriterError(error: unknown): WriterError {
  const code = isObject(error) && typeof error.code === "string" ? error.code : "";
  return { message: error instanceof Error ? error.message : String(error), code };
}

function describe(value: unknown): string {
  if (!isObject(value)) return String(value);
  const type = typeof value.type === "string" ? value.type : "?";
  return `{ type: ${JSON.stringify(type)}, fields: ${Object.keys(value).join(", ")} }`;
}
