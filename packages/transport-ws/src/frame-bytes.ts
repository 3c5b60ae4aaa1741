import { Rejection } from "./rejection.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

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

/**
 * Reads a frame from an untrusted peer: every length is checked against what
 * remains, so a truncated or lying frame is rejected instead of read past.
 */
export class FrameReader {
  private offset = 0;

  constructor(private readonly frame: Uint8Array) {}

  get remaining(): number {
    return this.frame.length - this.offset;
  }

  u8(what: string): number {
    if (this.offset >= this.frame.length) throw malformed(`${what}: truncated`);
    return this.frame[this.offset++] as number;
  }

  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8(what);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (i > 0 && byte === 0) throw malformed(`${what}: non-minimal varint`);
        if (!Number.isSafeInteger(value)) break;
        return value;
      }
      scale *= 0x80;
    }
    throw malformed(`${what}: not a safe integer`);
  }

  string(what: string, maxBytes: number): string {
    const length = this.varint(what);
    if (length > maxBytes) throw malformed(`${what}: ${length} bytes exceeds the limit of ${maxBytes}`);
    if (length > this.remaining) throw malformed(`${what}: truncated`);
    const bytes = this.frame.subarray(this.offset, this.offset + length);
    this.offset += length;
    try {
      return decoder.decode(bytes);
    } catch {
      throw malformed(`${what}: not UTF-8`);
    }
  }

  /** Everything after the fields: a view, not a copy. */
  rest(): Uint8Array {
    const view = this.frame.subarray(this.offset);
    this.offset = this.frame.length;
    return view;
  }

  end(what: string): void {
    if (this.remaining !== 0) throw malformed(`${what}: ${this.remaining} unexpected trailing bytes`);
  }
}

function malformed(detail: string): Rejection {
  return new Rejection("malformed-frame", detail);
}
