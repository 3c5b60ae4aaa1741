/**
 * The few protobuf primitives this package needs (proto3 wire format):
 * varints, tags, and length-delimited fields. Readers work on untrusted
 * bytes: every length is checked against what remains, and a value that is
 * not a safe integer is refused rather than rounded.
 */

/** Wire types of the protobuf encoding. */
export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

/** A malformed protobuf message; decoders turn it into a rejection reason. */
export class ProtoError extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

export function varintSize(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    n++;
  }
  return n;
}

/** Writes fields into a buffer sized up front by the caller (`size` of the same fields). */
export class ProtoWriter {
  private offset = 0;
  readonly buffer: Buffer;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  varint(value: number): this {
    while (value >= 0x80) {
      this.buffer[this.offset++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.offset++] = value;
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  /** A varint field; proto3 leaves zero values out. */
  uintField(field: number, value: number): this {
    return value === 0 ? this : this.tag(field, WireType.varint).varint(value);
  }

  bytesField(field: number, bytes: Uint8Array): this {
    if (bytes.length === 0) return this;
    this.tag(field, WireType.lengthDelimited).varint(bytes.length);
    this.buffer.set(bytes, this.offset);
    this.offset += bytes.length;
    return this;
  }

  finish(): Buffer {
    if (this.offset !== this.buffer.length) throw new Error(`protobuf size mismatch: wrote ${this.offset} of ${this.buffer.length} bytes`);
    return this.buffer;
  }
}

/** Bytes a varint field takes (zero: none). */
export function uintFieldSize(field: number, value: number): number {
  return value === 0 ? 0 : varintSize(field * 8) + varintSize(value);
}

/** Bytes a length-delimited field takes (empty: none). */
export function bytesFieldSize(field: number, length: number): number {
  return length === 0 ? 0 : varintSize(field * 8) + varintSize(length) + length;
}

export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Reads fields one by one; unknown fields can be skipped, as proto3 requires. */
export class ProtoReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  /** A varint that must be a safe integer (at most 8 bytes: 56 bits). */
  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.bytes.length) throw new ProtoError(`${what}: truncated varint`);
      const byte = this.bytes[this.offset++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) throw new ProtoError(`${what}: ${value} is not a safe integer`);
        return value;
      }
      scale *= 0x80;
    }
    throw new ProtoError(`${what}: varint longer than 10 bytes`);
  }

  tag(): { field: number; wireType: number } {
    const key = this.varint("field tag");
    const field = Math.floor(key / 8);
    if (field === 0) throw new ProtoError("field number 0");
    return { field, wireType: key % 8 };
  }

  /** A length-delimited field's bytes, as a plain `Uint8Array` view (no copy, even when reading a Buffer). */
  bytesView(what: string): Uint8Array {
    const length = this.varint(`${what} length`);
    if (length > this.bytes.length - this.offset) throw new ProtoError(`${what}: length ${length} exceeds the ${this.bytes.length - this.offset} bytes left`);
    const view = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.offset, length);
    this.offset += length;
    return view;
  }

  string(what: string): string {
    try {
      return utf8.decode(this.bytesView(what));
    } catch (e) {
      if (e instanceof ProtoError) throw e;
      throw new ProtoError(`${what}: not UTF-8`);
    }
  }

  /** Skips a field of an unknown number; groups (wire types 3, 4) are refused. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.varint:
        this.varint("skipped field");
        return;
      case WireType.fixed64:
        this.advance(8);
        return;
      case WireType.lengthDelimited:
        this.bytesView("skipped field");
        return;
      case WireType.fixed32:
        this.advance(4);
        return;
      default:
        throw new ProtoError(`unsupported wire type ${wireType}`);
    }
  }

  /** Throws unless `wireType` is what the known field `what` needs. */
  expect(wireType: number, expected: number, what: string): void {
    if (wireType !== expected) throw new ProtoError(`${what}: wire type ${wireType}, expected ${expected}`);
  }

  private advance(n: number): void {
    if (n > this.bytes.length - this.offset) throw new ProtoError("truncated fixed-width field");
    this.offset += n;
  }
}
