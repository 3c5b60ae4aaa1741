const encoder = new TextEncoder();

/** Builds one frame: a small head of varints and short strings, then an optional raw tail. */
export class FrameWriter {
  private readonly head: number[] = [];

  u8(value: number): this {
    this.head.push(value);
    return this;
  }

  /** A non-negative safe integer as LEB128 (7 bits per byte, at most 8 bytes). */
  varint(value: number): this {
    let v = value;
    while (v >= 0x80) {
      this.head.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.head.push(v);
    return this;
  }

  /** A length-prefixed UTF-8 string; only short ones travel in a head (ids, names, error text). */
  string(value: string): this {
    const bytes = encoder.encode(value);
    this.varint(bytes.length);
    for (const b of bytes) this.head.push(b);
    return this;
  }

  /**
   * The frame: the head followed by `tail`, copied once into one buffer, so
   * the caller may reuse its buffer as soon as this returns.
   */
  finish(tail?: Uint8Array): Buffer {
    return this.finishInto(Buffer.allocUnsafe(this.head.length + (tail?.length ?? 0)), tail);
  }

  /** Like `finish`, into `target` (which must be large enough); returns the view of it that holds the frame. */
  finishInto(target: Buffer, tail?: Uint8Array): Buffer {
    const length = this.head.length + (tail?.length ?? 0);
    for (let i = 0; i < this.head.length; i++) target[i] = this.head[i] as number;
    if (tail !== undefined) target.set(tail, this.head.length);
    return target.subarray(0, length);
  }
}
