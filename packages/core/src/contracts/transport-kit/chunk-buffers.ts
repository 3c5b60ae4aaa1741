/**
 * The buffers of one snapshot fetch whose reader asked for reused memory
 * (`FetchSnapshotOptions.reuseBuffers`). Each chunk is copied into a free
 * buffer as it arrives, so the buffer the network delivered it in is garbage
 * at once instead of ageing in queues (which is what makes V8 run full
 * collections); the buffer a chunk was lent in is free again once the reader
 * pulls the next. A fetch holds about its window of them, whatever its size.
 */
export class ChunkBuffers {
  private readonly free: Uint8Array[] = [];
  private lent: Uint8Array | undefined;

  /** A copy of `data` in a free buffer (a new one if none is large enough). */
  copy(data: Uint8Array): Uint8Array {
    let buffer = this.free.pop();
    while (buffer !== undefined && buffer.length < data.length) buffer = this.free.pop();
    buffer ??= new Uint8Array(data.length);
    buffer.set(data);
    return buffer.subarray(0, data.length);
  }

  /** `chunk` (from `copy`) goes to the reader; the chunk lent before it is given back. */
  lend(chunk: Uint8Array): Uint8Array {
    this.giveBack();
    this.lent = chunk;
    return chunk;
  }

  /** The reader pulled again, or stopped: the chunk it holds is free. */
  giveBack(): void {
    // Every buffer is a whole ArrayBuffer of its own (see copy), so the chunk's buffer is all of it.
    if (this.lent !== undefined) this.free.push(new Uint8Array(this.lent.buffer));
    this.lent = undefined;
  }
}
