import { BufferPool } from "./buffer-pool.js";

/**
 * The buffers of one snapshot fetch whose reader asked for reused memory
 * (`FetchSnapshotOptions.reuseBuffers`). Each chunk is copied into a free
 * buffer as it arrives, so the buffer the network delivered it in is garbage
 * at once instead of ageing in queues (which is what makes V8 run full
 * collections); the buffer a chunk was lent in is free again once the reader
 * pulls the next. A fetch holds about its window of them, whatever its size.
 */
export class ChunkBuffers {
  private readonly pool = new BufferPool();
  private lent: Uint8Array | undefined;

  /** A copy of `data` in a free buffer (a new one if none is large enough). */
  copy(data: Uint8Array): Uint8Array {
    const chunk = this.reserve(data.length);
    chunk.set(data);
    return chunk;
  }

  /** A free buffer of `length` bytes, for a chunk that arrives in pieces: the caller fills every byte, then lends it. */
  reserve(length: number): Uint8Array {
    const buffer = this.pool.take(length);
    // A plain Uint8Array, not a Buffer: a reader's `slice()` must copy, as it does on any chunk.
    return new Uint8Array(buffer.buffer, 0, length);
  }

  /** `chunk` (from `copy`) goes to the reader; the chunk lent before it is given back. */
  lend(chunk: Uint8Array): Uint8Array {
    this.giveBack();
    this.lent = chunk;
    return chunk;
  }

  /** The reader pulled again, or stopped: the chunk it holds is free. */
  giveBack(): void {
    // A chunk is the start of a pool buffer, which owns its whole ArrayBuffer.
    if (this.lent !== undefined) this.pool.give(Buffer.from(this.lent.buffer));
    this.lent = undefined;
  }
}
