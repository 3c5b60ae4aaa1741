const encoder = new TextEncoder();

/**
 * Packs text into UTF-8 chunks of at most `chunkBytes` bytes: every chunk is
 * full except where a multi-byte character did not fit, and the last. Each
 * chunk is a new buffer, since its reader may keep it.
 */
export class ChunkPacker {
  private buffer: Uint8Array;
  private filled = 0;

  constructor(private readonly chunkBytes: number) {
    this.buffer = new Uint8Array(chunkBytes);
  }

  /** Adds `text`; returns the chunks it completed. */
  push(text: string): Uint8Array[] {
    const done: Uint8Array[] = [];
    let rest = text;
    while (rest.length > 0) {
      const { read, written } = encoder.encodeInto(rest, this.buffer.subarray(this.filled));
      this.filled += written;
      rest = read === rest.length ? "" : rest.slice(read);
      if (rest.length > 0 || this.filled === this.chunkBytes) done.push(this.take());
    }
    return done;
  }

  /** The last, partial chunk, if any. */
  end(): Uint8Array | undefined {
    return this.filled > 0 ? this.take() : undefined;
  }

  private take(): Uint8Array {
    const chunk = this.filled === this.chunkBytes ? this.buffer : this.buffer.slice(0, this.filled);
    this.buffer = new Uint8Array(this.chunkBytes);
    this.filled = 0;
    return chunk;
  }
}

/** Streams text pieces as chunks of at most `chunkBytes`, pulling the pieces lazily. */
export async function* packChunks(pieces: Iterable<string>, chunkBytes: number): AsyncGenerator<Uint8Array> {
  const packer = new ChunkPacker(chunkBytes);
  for (const piece of pieces) yield* packer.push(piece);
  const last = packer.end();
  if (last !== undefined) yield last;
}
