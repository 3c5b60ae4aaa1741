import { Worker } from "node:worker_threads";
import type { Logger } from "@raft/core/contracts";
import { hashFile } from "./fs-util.js";
import { HASH_WORKER_SOURCE } from "./hash-worker-source.js";

/** Size and SHA-256 (hex) of a file's first bytes. */
export interface FileDigest {
  readonly size: number;
  readonly sha256: string;
}

/**
 * The hashing of one file that is being written: the writer says how far the
 * bytes on disk go (`advance`), the thread hashes them from there (from the
 * page cache, or the device for a direct job) while the writer goes on, and
 * `finish` gives the digest.
 */
export interface HashJob {
  /** Bytes [0, length) are written: they may be hashed now. */
  advance(length: number): void;
  /** The digest of bytes [0, length) (fewer if the file is shorter: `size` says). Ends the job. */
  finish(length: number): Promise<FileDigest>;
  /** Ends the job without a digest. */
  cancel(): void;
}

interface Waiter {
  readonly path: string;
  readonly length: number;
  resolve(d: FileDigest): void;
  reject(e: Error): void;
}

type Reply = { id: number; size: number; sha256: string } | { id: number; error: { code?: string; message: string } };

/**
 * SHA-256 of snapshot files in a worker thread, read back from disk as they
 * are written, so hashing (about a millisecond per MiB) leaves the event
 * loop free for the network and the writes themselves. The bytes hashed are
 * the bytes on disk. If the thread cannot start or dies, the digests are
 * computed on this thread instead (from disk too), so the answer is the
 * same. The thread holds the process open only while a digest is awaited.
 * It starts with the store, so its fixed cost (a V8 isolate, about 10 MiB
 * of RSS) is paid at open, not in the middle of the first transfer.
 */
export class HashThread {
  private worker: Worker | undefined;
  private broken = false;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();

  constructor(private readonly logger: Logger) {
    this.thread();
  }

  /** `direct`: read with direct I/O (bytes that were written so, or are likely not cached); a file system that refuses it is read normally. */
  start(path: string, options: { direct: boolean }): HashJob {
    const id = this.nextId++;
    const worker = this.thread();
    worker?.postMessage({ op: "start", id, path, direct: options.direct });
    let ended = false;
    return {
      advance: (length) => {
        if (!ended) this.post({ op: "advance", id, to: length });
      },
      finish: (length) => {
        if (ended) throw new Error("hash job already ended");
        ended = true;
        return this.request(id, path, length, worker);
      },
      cancel: () => {
        if (ended) return;
        ended = true;
        this.post({ op: "cancel", id });
      },
    };
  }

  /** Size and SHA-256 of all of `path`. */
  hashFile(path: string, options: { direct: boolean }): Promise<FileDigest> {
    return this.start(path, options).finish(Number.MAX_SAFE_INTEGER);
  }

  /** Stops the thread; digests still awaited are computed on this thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.broken = true;
    this.hashHere();
    await worker?.terminate();
  }

  private post(message: object): void {
    if (this.broken) return;
    this.worker?.postMessage(message);
  }

  private request(id: number, path: string, length: number, startedOn: Worker | undefined): Promise<FileDigest> {
    // A job started before the thread broke (or without one) is hashed here.
    if (startedOn === undefined || startedOn !== this.worker || this.broken) return this.local(path, length);
    return new Promise<FileDigest>((resolve, reject) => {
      this.waiting.set(id, { path, length, resolve, reject });
      startedOn.ref();
      startedOn.postMessage({ op: "finish", id, to: length });
    });
  }

  private async local(path: string, length: number): Promise<FileDigest> {
    const { hash, size } = await hashFile(path, length);
    return { size, sha256: hash.digest("hex") };
  }

  private thread(): Worker | undefined {
    if (this.broken) return undefined;
    if (this.worker !== undefined) return this.worker;
    try {
      const worker = new Worker(HASH_WORKER_SOURCE, { eval: true });
      worker.unref();
      worker.on("message", (reply: Reply) => this.reply(worker, reply));
      worker.on("error", (e) => this.die(worker, e));
      worker.on("exit", (code) => this.die(worker, new Error(`the hashing thread exited (${code})`)));
      this.worker = worker;
      return worker;
    } catch (e) {
      this.die(undefined, e);
      return undefined;
    }
  }

  private reply(worker: Worker, reply: Reply): void {
    const w = this.waiting.get(reply.id);
    if (w === undefined) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) worker.unref();
    if ("error" in reply) w.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    else w.resolve({ size: reply.size, sha256: reply.sha256 });
  }

  /** The thread is gone: whatever waits on it is hashed here instead; later jobs too. */
  private die(worker: Worker | undefined, error: unknown): void {
    if (worker !== undefined && worker !== this.worker) return; // closed, or an older thread
    this.worker = undefined;
    this.broken = true;
    this.logger.warn("snapshot store: the hashing thread failed; hashing on the main thread", { error: String(error) });
    this.hashHere();
  }

  private hashHere(): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) this.local(w.path, w.length).then(w.resolve, w.reject);
  }
}
