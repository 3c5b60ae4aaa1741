import type { FileHandle } from "node:fs/promises";
import { RaftError } from "@raft/core/contracts";
import { alignedBytes, BLOCK, blockCeil, blockFloor, isAlignmentError } from "./direct-io.js";
import { io } from "./errors.js";
import { readFully } from "./fs-util.js";

/**
 * The chunks of one committed file, read through its open handle: fresh
 * buffers the consumer may keep, or (`reusing`) buffers taking turns, one
 * with the consumer while the next chunks are read into the others. Given
 * a direct handle, `reusing` reads with direct I/O into page-aligned buffers,
 * from the block holding each chunk's first byte, and hands out the chunk's
 * part. `close()` waits for a read still running when the consumer stopped
 * early.
 */
export class FileChunks {
  /** Reads still running, which `close()` waits for. */
  private readonly reads = new Set<Promise<unknown>>();

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    private readonly size: number,
    private readonly chunkSize: number,
    private direct?: FileHandle,
  ) {}

  async *fresh(offset: number): AsyncGenerator<Uint8Array> {
    for (let pos = offset; pos < this.size;) {
      const chunk = await this.readAt(uninitialized(this.lengthAt(pos)), pos);
      pos += chunk.length;
      yield chunk;
    }
  }

  /**
   * Each chunk's memory is the consumer's only until it pulls the next one.
   * Reads run ahead into the other buffers: one (two, reading directly,
   * where a read waits on the device rather than copying from memory).
   */
  async *reusing(offset: number): AsyncGenerator<Uint8Array> {
    if (offset >= this.size) return;
    const largest = this.lengthAt(offset);
    const aligned = this.alignedBuffers(largest, 3);
    if (aligned === undefined) await this.dropDirect(); // direct reads need aligned memory
    const buffers = aligned ?? [uninitialized(largest), uninitialized(largest)];
    const ahead: Promise<Uint8Array>[] = [];
    for (let pos = offset, turn = 0; ;) {
      // The consumer is done with the chunk it had, so every buffer but those being read into is free.
      for (; ahead.length < buffers.length - 1 && pos < this.size; pos += this.lengthAt(pos)) {
        ahead.push(this.readAhead(buffers[turn++ % buffers.length] as Uint8Array, pos));
      }
      const next = ahead.shift();
      if (next === undefined) return;
      yield await next;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.reads);
    await this.direct?.close().catch(() => {});
    await this.fh.close();
  }

  /** `count` page-aligned buffers that each hold a chunk of `largest` bytes from any offset, if direct reads are on and memory is to be had. */
  private alignedBuffers(largest: number, count: number): Uint8Array[] | undefined {
    if (this.direct === undefined) return undefined;
    const each = blockCeil(largest) + BLOCK;
    const memory = alignedBytes(count * each);
    if (memory === undefined) return undefined;
    return Array.from({ length: count }, (_, i) => memory.subarray(i * each, (i + 1) * each));
  }

  private lengthAt(pos: number): number {
    return Math.min(this.chunkSize, this.size - pos);
  }

  private readAhead(buffer: Uint8Array, pos: number): Promise<Uint8Array> {
    const read = this.direct !== undefined ? this.readDirect(buffer, pos) : this.readAt(buffer.subarray(0, this.lengthAt(pos)), pos);
    this.reads.add(read);
    // Observed by whoever awaits it (close() only waits).
    read.then(
      () => this.reads.delete(read),
      () => this.reads.delete(read),
    );
    return read;
  }

  /** Fills `chunk` from `pos`; `Corrupt` if the file ends first (the manifest promised more). */
  private async readAt(chunk: Uint8Array, pos: number): Promise<Uint8Array> {
    const n = await io("read", this.path, () => readFully(this.fh, chunk, pos));
    if (n < chunk.length) this.endsEarly(pos + n);
    return chunk;
  }

  /** The chunk at `pos`, read directly into the aligned `buffer` from the block that holds `pos`. */
  private async readDirect(buffer: Uint8Array, pos: number): Promise<Uint8Array> {
    const length = this.lengthAt(pos);
    const start = blockFloor(pos);
    const skip = pos - start;
    const direct = this.direct as FileHandle;
    try {
      const n = await io("read", this.path, () => readFully(direct, buffer.subarray(0, blockCeil(pos + length) - start), start));
      if (n < skip + length) this.endsEarly(start + n);
    } catch (e) {
      if (!isAlignmentError((e as { cause?: unknown }).cause)) throw e;
      await this.dropDirect(); // the device wants another alignment: buffered reads from here
      return this.readAt(buffer.subarray(0, length), pos);
    }
    return buffer.subarray(skip, skip + length);
  }

  private async dropDirect(): Promise<void> {
    const direct = this.direct;
    this.direct = undefined;
    await direct?.close().catch(() => {});
  }

  private endsEarly(at: number): never {
    throw new RaftError("Corrupt", `${this.path} ends at ${at} bytes; its manifest says ${this.size}`);
  }
}

/** A buffer of `n` bytes left unzeroed: every byte is read into it before anyone sees it. */
function uninitialized(n: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
}
