const encoder = new TextEncoder();

/** Appends unsigned varints, bytes and strings to a buffer that grows by doubling. */
export class BinaryWriter {
  private buffer: Uint8Array;
  private length = 0;

  constructor(initialBytes = 256) {
    this.buffer = new Uint8Array(initialBytes);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** A non-negative safe integer as LEB128: 7 bits per byte, at most 8 bytes. */
  varint(value: number): void {
    this.reserve(8);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
  }

  bool(value: boolean): void {
    this.u8(value ? 1 : 0);
  }

  /** Length-prefixed bytes. */
  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.raw(value);
  }

  /** Bytes of a length both sides know (a SHA-256 digest). */
  raw(value: Uint8Array): void {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
  }

  string(value: string): void {
    this.bytes(encoder.encode(value));
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}
