import { RaftError } from "../../engine/errors.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads LEB128 varints, length-prefixed bytes and UTF-8 strings (what
 * `BinaryWriter` writes) from untrusted bytes: every length is
 * checked against what remains, so a truncated or lying frame fails with
 * `InvalidMessage` instead of reading past its end or allocating on its word.
 */
export class BinaryReader {
  private offset = 0;

  constructor(private readonly frame: Uint8Array) {}

  get remaining(): number {
    return this.frame.length - this.offset;
  }

  u8(what: string): number {
    if (this.offset >= this.frame.length) throw truncated(what);
    return this.frame[this.offset++] as number;
  }

  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8(what);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) break;
        if (i > 0 && byte === 0) throw invalid(`${what}: non-minimal varint`);
        return value;
      }
      scale *= 0x80;
    }
    throw invalid(`${what}: not a safe integer`);
  }

  bool(what: string): boolean {
    const b = this.u8(what);
    if (b > 1) throw invalid(`${what}: expected 0 or 1, got ${b}`);
    return b === 1;
  }

  /** A count of items that each take at least `minItemBytes`: bounded by what remains. */
  count(what: string, minItemBytes = 1): number {
    const n = this.varint(what);
    if (n * minItemBytes > this.remaining) throw invalid(`${what}: ${n} items cannot fit in ${this.remaining} bytes`);
    return n;
  }

  /** Length-prefixed bytes, as a view into the frame. */
  bytes(what: string, maxLength = Infinity): Uint8Array {
    const n = this.varint(what);
    if (n > maxLength) throw invalid(`${what}: ${n} bytes exceeds the limit of ${maxLength}`);
    return this.raw(n, what);
  }

  raw(length: number, what: string): Uint8Array {
    if (length > this.remaining) throw truncated(what);
    const view = this.frame.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  string(what: string, maxLength: number): string {
    const raw = this.bytes(what, maxLength);
    try {
      return decoder.decode(raw);
    } catch {
      throw invalid(`${what}: not UTF-8`);
    }
  }

  /** Everything not read yet, as a view into the frame (a payload that runs to its end). */
  rest(): Uint8Array {
    return this.raw(this.remaining, "rest");
  }

  /** Fails unless every byte was consumed: trailing bytes mean a frame this version does not understand. */
  end(what: string): void {
    if (this.remaining !== 0) throw invalid(`${what}: ${this.remaining} unexpected trailing bytes`);
  }
}

function truncated(what: string): RaftError {
  return invalid(`${what}: truncated`);
}

function invalid(reason: string): RaftError {
  return new RaftError("InvalidMessage", reason);
}
