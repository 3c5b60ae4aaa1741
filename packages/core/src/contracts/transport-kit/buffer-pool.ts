/**
 * Buffers handed back once the network (or a reader) is done with them, so a
 * long snapshot stream allocates a few buffers instead of one per chunk — and
 * leaves V8 no megabyte-sized garbage to collect. `take` returns a kept
 * buffer of at least `bytes` (dropping smaller ones) or a new one; `give`
 * keeps at most `keep` of them.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep = Number.POSITIVE_INFINITY) {}

  /** Not zero-filled: the caller writes every byte it hands out. Each buffer is a whole ArrayBuffer of its own. */
  take(bytes: number): Buffer {
    for (let b = this.free.pop(); b !== undefined; b = this.free.pop()) if (b.length >= bytes) return b;
    return Buffer.allocUnsafeSlow(bytes);
  }

  give(buffer: Buffer): void {
    if (this.free.length < this.keep) this.free.push(buffer);
  }
}
