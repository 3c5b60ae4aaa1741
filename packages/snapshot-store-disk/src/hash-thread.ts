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
  /**
   * Bytes [at, at + length) of the file are `memory[offset, offset + length)`:
   * hashed from there instead of read back. `at` may not lie past the bytes
   * hashed or handed over before (it may lie before: those bytes are
   * skipped). Resolves once they are hashed; the memory must not change
   * until then.
   */
  handOver(memory: SharedArrayBuffer, offset: number, length: number, at: number): Promise<void>;
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

type Reply = { id: number; size: number; sha256: string } | { id: number; error: { code?: string; message: string } } | { id: number; hashedTo: number };

/** A hand-over awaiting the thread's word that its bytes are hashed. */
interface Ack {
  readonly end: number;
  resolve(): void;
}

/**
 * SHA-256 of snapshot files in a worker thread, so hashing (about half a
 * millisecond per MiB) leaves the event loop free for the network and the
 * writes themselves. A job hashes the bytes the writer hands over in shared
 * memory (the very bytes it writes), and reads back from disk the bytes it
 * is told are there (`advance`, `finish`), as they are written. If the thread
 * cannot start or dies, the digests are computed on this thread instead,
 * from disk, so the answer is the same. The thread holds the process open
 * only while a digest or a hand-over is awaited. It starts with the store,
 * so its fixed cost (a V8 isolate, about 10 MiB of RSS) is paid at open, not
 * in the middle of the first transfer.
 */
export class HashThread {
  private worker: Worker | undefined;
  private broken = false;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  /** Per job, its hand-overs not yet hashed, in order. */
  private readonly acks = new Map<number, Ack[]>();

  constructor(private readonly logger: Logger) {
    this.thread();
  }

  /** `direct`: read with direct I/O (bytes that were written so, or are likely not cached); a file system that refuses it is read normally. */
  start(path: string, options: { direct: boolean }): HashJob {
    const id = this.nextId++;
    const worker = this.thread();
    worker?.postMessage({ op: "start", id, path, direct: options.direct });
    let ended = false;
    /** The memory the thread holds for this job: posting a SharedArrayBuffer costs far more than posting numbers, so it goes once. */
    let shared: SharedArrayBuffer | undefined;
    return {
      advance: (length) => {
        if (!ended) this.post({ op: "advance", id, to: length });
      },
      handOver: (memory, offset, length, at) => {
        // Without the thread the digest comes from disk at finish (`local`): nothing to wait for.
        if (ended || this.broken || worker === undefined || worker !== this.worker) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const acks = this.acks.get(id) ?? [];
          acks.push({ end: at + length, resolve });
          this.acks.set(id, acks);
          worker.ref();
          if (memory !== shared) worker.postMessage({ op: "memory", id, memory });
          shared = memory;
          worker.postMessage({ op: "hand-over", id, offset, length, at });
        });
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
        this.release(id);
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
    if ("hashedTo" in reply) {
      const acks = this.acks.get(reply.id) ?? [];
      while (acks.length > 0 && (acks[0] as Ack).end <= reply.hashedTo) acks.shift()?.resolve();
      if (acks.length === 0) this.acks.delete(reply.id);
      this.unrefIfIdle(worker);
      return;
    }
    const w = this.waiting.get(reply.id);
    if (w === undefined) return;
    this.waiting.delete(reply.id);
    this.release(reply.id);
    this.unrefIfIdle(worker);
    if ("error" in reply) w.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    else w.resolve({ size: reply.size, sha256: reply.sha256 });
  }

  /** The thread keeps the process alive only while something waits on it. */
  private unrefIfIdle(worker: Worker): void {
    if (this.waiting.size === 0 && this.acks.size === 0) worker.unref();
  }

  /** A job ended (or the thread did): its hand-overs no longer hold their memory. */
  private release(id: number): void {
    for (const a of this.acks.get(id) ?? []) a.resolve();
    this.acks.delete(id);
    if (this.worker !== undefined) this.unrefIfIdle(this.worker);
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
    for (const id of [...this.acks.keys()]) this.release(id);
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) this.local(w.path, w.length).then(w.resolve, w.reject);
  }
}
