import type { FileHandle } from "node:fs/promises";
import { RaftError } from "@raft/core/contracts";
import { io } from "./errors.js";
import { readFully } from "./fs-util.js";

/**
 * The chunks of one committed file, read through its open handle: fresh
 * buffers the consumer may keep, or (`reusing`) two buffers taking turns,
 * one with the consumer while the next chunk is read into the other. `close()`
 * waits for a read still running when the consumer stopped early.
 */
export class FileChunks {
  private inFlight: Promise<unknown> | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    private readonly size: number,
    private readonly chunkSize: number,
  ) {}

  async *fresh(offset: number): AsyncGenerator<Uint8Array> {
    for (let pos = offset; pos < this.size;) {
      const chunk = await this.readAt(uninitialized(this.lengthAt(pos)), pos);
      pos += chunk.length;
      yield chunk;
    }
  }

  /** Each chunk's memory is reused two chunks later: it is the consumer's only until it pulls the next one. */
  async *reusing(offset: number): AsyncGenerator<Uint8Array> {
    if (offset >= this.size) return;
    const largest = this.lengthAt(offset);
    const buffers = [uninitialized(largest), uninitialized(largest)];
    let pos = offset;
    let next = this.readAhead(buffers[0] as Uint8Array, pos);
    for (let turn = 1; pos < this.size; turn++) {
      const chunk = await next;
      pos += chunk.length;
      if (pos < this.size) next = this.readAhead(buffers[turn % 2] as Uint8Array, pos);
      yield chunk;
    }
  }

  async close(): Promise<void> {
    await this.inFlight?.catch(() => {});
    await this.fh.close();
  }

  private lengthAt(pos: number): number {
    return Math.min(this.chunkSize, this.size - pos);
  }

  private readAhead(buffer: Uint8Array, pos: number): Promise<Uint8Array> {
    const read = this.readAt(buffer.subarray(0, this.lengthAt(pos)), pos);
    this.inFlight = read;
    read.catch(() => {}); // observed by whoever awaits it, or by close()
    return read;
  }

  /** Fills `chunk` from `pos`; `Corrupt` if the file ends first (the manifest promised more). */
  private async readAt(chunk: Uint8Array, pos: number): Promise<Uint8Array> {
    const n = await io("read", this.path, () => readFully(this.fh, chunk, pos));
    if (n < chunk.length) throw new RaftError("Corrupt", `${this.path} ends at ${pos + n} bytes; its manifest says ${this.size}`);
    return chunk;
  }
}

/** A buffer of `n` bytes left unzeroed: every byte is read into it before anyone sees it. */
function uninitialized(n: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
}
