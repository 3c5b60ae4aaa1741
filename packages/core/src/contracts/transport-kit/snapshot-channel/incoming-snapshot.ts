import { RaftError } from "../../../engine/errors.js";
import type { ChunkBuffers } from "../chunk-buffers.js";

/** How a reader fetches one snapshot stream, whichever way it travels. */
export interface FetchSettings {
  /** Copy chunks as they arrive into buffers reused once the consumer pulls the next (`FetchSnapshotOptions.reuseBuffers`). */
  readonly reuseBuffers: boolean;
  readonly windowChunks: number;
  readonly maxFrameBytes: number;
  readonly idleMs: number;
  onChunk(bytes: number): void;
}

/**
 * The reader's end of one snapshot stream. The reader grants `window` chunks
 * of credit up front and returns credit as its consumer takes chunks (in
 * batches of half the window, to spare frames), so the server never has more
 * than `window` chunks on the way or waiting here. With `buffers`, each chunk
 * is copied into a reused buffer as it arrives, and the one the consumer
 * holds is given back when it asks for the next.
 */
export class IncomingSnapshot {
  private readonly chunks: Uint8Array[] = [];
  private head = 0;
  /** Chunks the server may still send without more credit. */
  private outstanding: number;
  private consumedSinceGrant = 0;
  private readonly grantBatch: number;
  private ended = false;
  private failure: RaftError | undefined;
  /** The server sent END or ERROR: it needs no cancel. */
  private serverDone = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly stream: number,
    window: number,
    /** Waiting this long for the server (which always holds credit while the reader waits) fails the stream with `Timeout`. */
    private readonly idleMs: number,
    private readonly grant: (credit: number) => void,
    private readonly buffers?: ChunkBuffers,
  ) {
    this.outstanding = window;
    this.grantBatch = Math.max(1, Math.floor(window / 2));
  }

  /** Nothing more will come: END, ERROR, a broken connection, a timeout, or the reader stopped. */
  get finished(): boolean {
    return this.ended || this.failure !== undefined;
  }

  /** The server still has the stream open: stopping early must tell it. */
  get needsCancel(): boolean {
    return !this.serverDone;
  }

  /** Whether the server may send a chunk now. */
  get hasCredit(): boolean {
    return !this.finished && this.outstanding > 0;
  }

  /**
   * A chunk from the server; false when it came without credit or after the
   * end (a protocol violation). `reserved`: the chunk was filled in one of
   * `buffers` (`ChunkBuffers.reserve`), not copied again.
   */
  push(data: Uint8Array, reserved = false): boolean {
    if (!this.hasCredit) return false;
    this.outstanding--;
    this.chunks.push(this.buffers === undefined || reserved ? data : this.buffers.copy(data));
    this.wake?.();
    return true;
  }

  /** The server's END. */
  end(): void {
    this.serverDone = true;
    if (this.finished) return;
    this.ended = true;
    this.wake?.();
  }

  /** The server's ERROR. */
  serverFailed(error: RaftError): void {
    this.serverDone = true;
    this.fail(error);
  }

  /** The stream failed; chunks already here are still read first (they are good bytes at the right offsets). */
  fail(error: RaftError): void {
    if (this.finished) return;
    this.failure = error;
    this.wake?.();
  }

  /** The next chunk, or undefined after the last; rejects with the stream's error, `Timeout`, or `Aborted`. */
  async next(signal: AbortSignal): Promise<Uint8Array | undefined> {
    this.buffers?.giveBack();
    for (;;) {
      if (signal.aborted) throw new RaftError("Aborted", "the snapshot fetch was aborted");
      if (this.head < this.chunks.length) {
        const chunk = this.chunks[this.head] as Uint8Array;
        this.chunks[this.head++] = EMPTY;
        if (this.head === this.chunks.length) {
          this.chunks.length = 0;
          this.head = 0;
        }
        return this.buffers === undefined ? chunk : this.buffers.lend(chunk);
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return undefined;
      await this.arrival(signal);
    }
  }

  /** The consumer is done with one chunk: credit goes back to the server in batches. */
  consumed(): void {
    if (this.finished) return;
    if (++this.consumedSinceGrant < this.grantBatch) return;
    this.outstanding += this.consumedSinceGrant;
    this.grant(this.consumedSinceGrant);
    this.consumedSinceGrant = 0;
  }

  /** Resolves when something happens to the stream, `signal` aborts, or the server stayed silent for `idleMs`. */
  private arrival(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(() => this.fail(new RaftError("Timeout", `no snapshot chunk for ${this.idleMs} ms`)), this.idleMs);
      this.wake = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

const EMPTY = new Uint8Array(0);

/** Yields a stream's chunks to its consumer, returning credit as each is taken; whichever end it is read over. */
export async function* deliver(incoming: IncomingSnapshot, signal: AbortSignal, onChunk: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  for (;;) {
    const chunk = await incoming.next(signal);
    if (chunk === undefined) return;
    onChunk(chunk.length);
    yield chunk;
    incoming.consumed();
  }
}
