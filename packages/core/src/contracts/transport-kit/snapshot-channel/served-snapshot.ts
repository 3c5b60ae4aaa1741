import { isRaftError, RaftError } from "../../../engine/errors.js";
import { BufferPool } from "../buffer-pool.js";
import { MAX_CREDIT_CHUNKS } from "./protocol.js";

/**
 * Where a served stream's frames go: a snapshot channel of its own, or a
 * connection it shares with engine messages (`@raft/transport-ws`'s
 * envelope frames).
 */
export interface StreamSink {
  /** Bytes a chunk frame adds to its data. */
  readonly chunkHeadBytes: number;
  /** Writes `data` as a chunk frame into `buffer` (at least `data.length + chunkHeadBytes` long) and sends it; `sent` runs once `buffer` may be reused. False: the sink is gone. */
  sendChunk(buffer: Buffer, data: Uint8Array, sent: () => void): boolean;
  sendEnd(): void;
  sendError(code: string, message: string): void;
  /** Resolves once fewer than `bytes` wait to be written; rejects if the sink is gone or `signal` aborts. */
  whenBelow(bytes: number, signal: AbortSignal): Promise<void>;
  /** The stream is over, whichever way it ended. */
  ended(): void;
}

export interface ServeLimits {
  /** The reader's largest acceptable chunk: bigger chunks from the source are split. */
  readonly maxChunkBytes: number;
  /** Wait for the socket before sending while this many bytes are still unwritten, so engine messages are not stuck behind chunks. */
  readonly socketHighWaterBytes: number;
  /** Waiting this long on the reader (for credit, or for the socket to drain) ends the stream with `Timeout`. */
  readonly idleMs: number;
  onChunkSent(bytes: number): void;
}

/** Frame buffers kept for reuse per stream: about as many as the socket high-water mark lets be in flight. */
const SPARE_FRAMES = 4;

/**
 * The server's end of one snapshot stream: pulls a chunk from the source
 * only when it holds credit for it, so it buffers at most one chunk and the
 * reader at most its window. Ends with END, or ERROR carrying the source's
 * `RaftError` code; a CANCEL, a closed connection or an idle reader aborts
 * the source's signal, so a stuck reader cannot hold the source (and its
 * pinned snapshot) for ever.
 */
export class ServedSnapshot {
  readonly abort = new AbortController();
  private credit: number;
  private wake: (() => void) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private idle = false;
  /**
   * Frame buffers the socket has finished with, reused for the next chunks:
   * a fresh megabyte per chunk would cost page faults and garbage collection
   * on every chunk, which is most of the server's time at these rates.
   */
  private readonly spare = new BufferPool(SPARE_FRAMES);

  constructor(
    private readonly sink: StreamSink,
    initialCredit: number,
    private readonly limits: ServeLimits,
  ) {
    this.credit = initialCredit;
    this.abort.signal.addEventListener("abort", () => this.wake?.(), { once: true });
  }

  /** More credit from the reader; false if it is zero or would exceed the largest window (a protocol violation). */
  grant(chunks: number): boolean {
    if (chunks < 1 || this.credit + chunks > MAX_CREDIT_CHUNKS) return false;
    this.credit += chunks;
    this.wake?.();
    return true;
  }

  cancel(): void {
    this.abort.abort();
  }

  /** Serves the stream to its end; never throws. `open` may throw (synchronously too): that becomes the ERROR frame. */
  async run(open: (signal: AbortSignal) => AsyncIterable<Uint8Array>): Promise<void> {
    const signal = this.abort.signal;
    let it: AsyncIterator<Uint8Array> | undefined;
    try {
      this.rearm();
      it = open(signal)[Symbol.asyncIterator]();
      for (;;) {
        if (!(await this.acquire())) return;
        // Only waiting on the reader counts as idle: a slow (or throttled) source is the server's own business.
        clearTimeout(this.idleTimer);
        const next = await it.next();
        this.rearm();
        if (signal.aborted) return;
        if (next.done === true) break;
        if (!(await this.sendSplit(next.value))) return;
      }
      this.sink.sendEnd();
    } catch (e) {
      if (signal.aborted) return;
      const code = isRaftError(e) ? e.code : "Unavailable";
      this.sink.sendError(code, e instanceof Error ? e.message : String(e));
    } finally {
      clearTimeout(this.idleTimer);
      if (this.idle) this.sink.sendError("Timeout", `no snapshot chunk could be sent for ${this.limits.idleMs} ms`);
      this.sink.ended();
      this.abort.abort();
      // The source's cleanup (unpin, counters) must run, but a stuck one must not hold this up.
      void Promise.resolve()
        .then(() => it?.return?.())
        .catch(() => {});
    }
  }

  /** Sends one source chunk as one or more chunk frames, each taking one credit (the first was acquired by the caller). */
  private async sendSplit(chunk: Uint8Array): Promise<boolean> {
    const max = this.limits.maxChunkBytes;
    for (let at = 0; ;) {
      if (at > 0 && !(await this.acquire())) return false;
      try {
        await this.sink.whenBelow(this.limits.socketHighWaterBytes, this.abort.signal);
      } catch {
        return false;
      }
      const piece = chunk.subarray(at, at + max);
      this.credit--;
      const buffer = this.spare.take(piece.length + this.sink.chunkHeadBytes);
      if (!this.sink.sendChunk(buffer, piece, () => this.spare.give(buffer))) return false;
      this.limits.onChunkSent(piece.length);
      this.rearm();
      at += piece.length;
      if (at >= chunk.length) return true;
    }
  }

  /** Restarts the idle deadline: at the start, after each source chunk and after each frame sent. */
  private rearm(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idle = true;
      this.abort.abort(new RaftError("Timeout", "snapshot stream idle"));
    }, this.limits.idleMs);
    this.idleTimer.unref();
  }

  /** Waits for one chunk of credit; false if the stream was cancelled meanwhile. */
  private async acquire(): Promise<boolean> {
    while (this.credit === 0 && !this.abort.signal.aborted) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    return !this.abort.signal.aborted;
  }
}
