import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { RaftError } from "@raft/core/contracts";
import { parseReply, PROTOCOL_VERSION, type Synchronous, type WriterReply, type WriterRequest, type WriterSettings } from "./writer-protocol.js";

/** A write as the store sends it; the thread numbers it. */
export type WriteRequest = DistributiveOmit<Extract<WriterRequest, { type: "save" | "compact" | "checkpoint" }>, "id">;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Waiter {
  readonly expects: "opened" | "done" | "entries" | "closed";
  readonly id: number | null;
  resolve(reply: WriterReply): void;
  reject(error: unknown): void;
}

/**
 * The built script of the writer thread, found through the package's own
 * exports map (`@raft/log-sqlite/writer-worker`, which has no
 * `@raft/source` condition): Node cannot run a TypeScript worker, so even
 * when the store itself runs from its sources (this repository's tests), the
 * thread runs dist/writer-worker.js.
 */
function writerScript(path: string): string {
  try {
    return createRequire(import.meta.url).resolve("@raft/log-sqlite/writer-worker");
  } catch (error) {
    throw new RaftError("StorageFailure", `${path}: cannot find the writer thread's script @raft/log-sqlite/writer-worker (dist/writer-worker.js; is the package built?)`, { cause: error });
  }
}

/**
 * The main thread's side of the writer thread (writer-worker.ts): one request
 * in flight at a time, each reply checked against it. If the thread fails,
 * exits, or sends anything unexpected, it is dead: the request in flight and
 * every later one reject with `StorageFailure`, and `onDeath` hears of it once.
 * The thread keeps the process alive only while a request is in flight.
 * Opened read-only, the same thread reads instead (the store's reader thread).
 */
export class WriterThread {
  /** What the write connection runs with, once `open` resolved. */
  settings: WriterSettings | undefined;
  /** Called once if the thread dies other than by `close()`. */
  onDeath: ((error: RaftError) => void) | undefined;
  private waiter: Waiter | undefined;
  private nextId = 1;
  private dead: RaftError | undefined;
  private closing = false;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly path: string,
  ) {
    this.exited = new Promise((resolve) => worker.once("exit", () => resolve()));
    worker.on("message", (value: unknown) => this.receive(value));
    worker.on("messageerror", (error) => this.die(`sent a message that could not be read (${error.message})`, error));
    worker.on("error", (error) => this.die(`failed: ${error.message}`, error));
    worker.on("exit", (code) => this.die(`exited (code ${code})`, undefined));
  }

  /** Starts the thread; it loads while the caller goes on (the store checks the file meanwhile). */
  static start(path: string): WriterThread {
    const script = writerScript(path);
    try {
      return new WriterThread(new Worker(script), path);
    } catch (error) {
      throw new RaftError("StorageFailure", `${path}: cannot start the writer thread (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
  }

  /**
   * Opens the write connection (or, with `readOnly`, a connection that only
   * reads: the store's reader thread); rejects with the thread's error
   * (SQLite's code kept) or `StorageFailure`.
   */
  async open(options: { synchronous: Synchronous; busyTimeoutMs: number; readOnly?: boolean }): Promise<WriterSettings> {
    const reply = await this.request({ type: "open", protocol: PROTOCOL_VERSION, path: this.path, readOnly: false, ...options }, "opened", null);
    if (reply.type !== "opened" || reply.protocol !== PROTOCOL_VERSION) {
      throw this.die(`speaks protocol ${reply.type === "opened" ? reply.protocol : "?"}, the store ${PROTOCOL_VERSION}: the build of @raft/log-sqlite is out of date or mixed`, undefined);
    }
    this.settings = reply.settings;
    this.worker.unref();
    return reply.settings;
  }

  /**
   * Sends one write and resolves once the thread has committed it, with the
   * entry batch it sent back. `transfer` moves the batch to the thread (it is
   * unusable here afterwards).
   * Rejects with the thread's error (its SQLite code kept, for the store to
   * classify) or, if the thread died, `StorageFailure`.
   */
  async write(request: WriteRequest, transfer: ArrayBuffer[]): Promise<ArrayBuffer | null> {
    const id = this.nextId++;
    const reply = await this.request({ ...request, id } as WriterRequest, "done", id, transfer);
    return reply.type === "done" ? reply.batch : null;
  }

  /** Reads entries in [lo, hi) on a read-only thread's connection: at least one, stopping once past `maxBytes`, packed by `encodeEntries`. */
  async read(lo: number, hi: number, maxBytes: number): Promise<{ batch: ArrayBuffer; bytes: number; count: number }> {
    const id = this.nextId++;
    const reply = await this.request({ type: "read", id, lo, hi, maxBytes }, "entries", id);
    if (reply.type !== "entries") throw this.die(`answered a read with ${reply.type}`, undefined);
    return reply;
  }

  /** Closes the write connection, then ends the thread. Resolves at once if it is already dead. */
  async close(): Promise<void> {
    if (this.dead !== undefined) return;
    this.closing = true;
    try {
      await this.request({ type: "close" }, "closed", null);
    } finally {
      await this.worker.terminate();
      await this.exited;
    }
  }

  /** Ends the thread without closing anything (after a failed open). */
  async terminate(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
    await this.exited;
  }

  private request(message: WriterRequest, expects: Waiter["expects"], id: number | null, transfer: ArrayBuffer[] = []): Promise<WriterReply> {
    if (this.dead !== undefined) return Promise.reject(this.dead);
    if (this.waiter !== undefined) return Promise.reject(new RaftError("StorageFailure", `${this.path}: a request to the writer thread is already in flight`));
    return new Promise<WriterReply>((resolve, reject) => {
      this.waiter = { expects, id, resolve, reject };
      this.worker.ref();
      try {
        this.worker.postMessage(message, transfer);
      } catch (error) {
        this.waiter = undefined;
        reject(new RaftError("StorageFailure", `${this.path}: cannot send to the writer thread (${error instanceof Error ? error.message : String(error)})`, { cause: error }));
      }
    });
  }

  private receive(value: unknown): void {
    let reply: WriterReply;
    try {
      reply = parseReply(value);
    } catch (error) {
      this.die(`sent a malformed reply (${(error as Error).message})`, error);
      return;
    }
    const w = this.waiter;
    const id = reply.type === "done" || reply.type === "entries" || reply.type === "failed" ? reply.id : null;
    const matches = w !== undefined && (reply.type === "failed" ? id === w.id : reply.type === w.expects && id === w.id);
    if (!matches || w === undefined) {
      this.die(`sent a reply nobody waits for (${reply.type}${id === null ? "" : ` ${id}`})`, undefined);
      return;
    }
    this.waiter = undefined;
    if (this.settings !== undefined) this.worker.unref();
    if (reply.type === "failed") w.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    else w.resolve(reply);
  }

  /** Marks the thread dead (once), rejects what waits, and tells `onDeath`; returns the error. */
  private die(reason: string, cause: unknown): RaftError {
    if (this.dead !== undefined) return this.dead;
    const error = new RaftError("StorageFailure", `${this.path}: the writer thread ${reason}`, cause === undefined ? undefined : { cause });
    this.dead = error;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(error);
    // An exit is expected once close() has begun; the worker is terminated then, not left running.
    if (this.closing) return error;
    void this.worker.terminate();
    this.onDeath?.(error);
    return error;
  }
}
