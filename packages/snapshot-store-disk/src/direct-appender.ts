import type { FileHandle } from "node:fs/promises";
import { blockFloor, isAlignmentError, openDirect, sharedAlignedBytes } from "./direct-io.js";
import { io } from "./errors.js";
import { readFully, writeFully } from "./fs-util.js";

/** Bytes gathered per direct write: large enough that a write costs the disk little per byte. */
const STAGE = 1 << 20;
/** Buffers taking turns: all but the one filling may be on their way to the disk at once. */
const STAGES = 4;

/**
 * Where the appender's bytes go besides the file: a range of its memory
 * (file bytes [at, at + length)) to be hashed; resolves once it is, after
 * which the appender may reuse that memory.
 */
export type HandOver = (memory: SharedArrayBuffer, offset: number, length: number, at: number) => Promise<void>;

/**
 * An appender at the end of `path` (open as `fh`, holding `length` bytes),
 * or undefined where direct writes are not to be had: the caller writes
 * through `fh` then.
 */
export async function directAppender(fh: FileHandle, path: string, length: number, handOver: HandOver): Promise<DirectAppender | undefined> {
  const direct = await io("open", path, () => openDirect(path, "write"));
  if (direct === undefined) return undefined;
  try {
    const appender = await DirectAppender.open(fh, direct, path, length, handOver);
    if (appender === undefined) await direct.close();
    return appender;
  } catch (e) {
    await direct.close().catch(() => {});
    throw e;
  }
}

/**
 * Appends to a snapshot file through a direct (O_DIRECT) handle, so
 * the bytes skip the page cache (see `direct-io.ts`). Chunks of any size are
 * gathered in four page-aligned 1 MiB buffers taking turns, in memory the
 * hashing thread can read: each full one is written in one direct write and
 * handed over to be hashed while the next fills, so the network, the disk
 * and SHA-256 overlap, and nothing is read back to be hashed. A buffer is
 * reused once its write and its hashing are done.
 *
 * `drain()` puts what is gathered into the file (the part past the last
 * whole block through the ordinary handle) so that an fsync covers it, and
 * hands it over; the gathered bytes stay, and the next direct write rewrites
 * their block whole. If the device refuses the alignment, the rest goes
 * through the ordinary handle.
 */
export class DirectAppender {
  private turn = 0;
  /** File offset of the current buffer's first byte: a multiple of BLOCK. */
  private base: number;
  /** Bytes gathered in the current buffer. */
  private filled: number;
  /** Full buffers being written and hashed, oldest first. They never reject: a failure is kept in `failure`. */
  private readonly inFlight: Promise<void>[] = [];
  private failure: unknown;
  private direct: FileHandle | undefined;

  private constructor(
    private readonly fh: FileHandle,
    direct: FileHandle,
    private readonly path: string,
    private readonly memory: SharedArrayBuffer,
    private readonly buffers: readonly Uint8Array[],
    length: number,
    private readonly handOver: HandOver,
  ) {
    this.direct = direct;
    this.base = blockFloor(length);
    this.filled = length - this.base;
  }

  /**
   * An appender at the end of a file that holds `length` bytes, or undefined
   * when no aligned shared memory is to be had (the caller writes through
   * `fh`). The last partial block is read back so the first direct write
   * covers it; bytes before `length` are not handed over again (their
   * hashing is the caller's).
   */
  static async open(fh: FileHandle, direct: FileHandle, path: string, length: number, handOver: HandOver): Promise<DirectAppender | undefined> {
    const memory = sharedAlignedBytes(STAGES * STAGE);
    if (memory === undefined) return undefined;
    const buffers = Array.from({ length: STAGES }, (_, i) => new Uint8Array(memory, i * STAGE, STAGE));
    const appender = new DirectAppender(fh, direct, path, memory, buffers, length, handOver);
    if (appender.filled > 0) await io("read", path, () => readFully(fh, (buffers[0] as Uint8Array).subarray(0, appender.filled), appender.base));
    return appender;
  }

  /** Gathers `chunk`; resolves once it is gathered (its bytes reach the file later, or at `drain()`). */
  async append(chunk: Uint8Array): Promise<void> {
    this.check();
    for (let taken = 0; taken < chunk.length;) {
      const buffer = this.buffers[this.turn] as Uint8Array;
      const n = Math.min(STAGE - this.filled, chunk.length - taken);
      buffer.set(chunk.subarray(taken, taken + n), this.filled);
      this.filled += n;
      taken += n;
      if (this.filled === STAGE) await this.writeFull();
    }
  }

  /** Puts every gathered byte into the file and waits for it (an fsync after this covers all appended bytes), and hands them over. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
    this.check();
    if (this.filled === 0) return;
    const buffer = (this.buffers[this.turn] as Uint8Array).subarray(0, this.filled);
    const whole = blockFloor(this.filled);
    try {
      if (whole > 0) await this.put(buffer.subarray(0, whole), this.base);
      if (whole < this.filled) await io("write", this.path, () => writeFully(this.fh, buffer.subarray(whole), this.base + whole));
    } catch (e) {
      this.failure ??= e;
      throw e;
    }
    // Not awaited: the buffer is reused only after its whole hand-over, which the thread acknowledges after this one.
    void this.handOver(this.memory, this.turn * STAGE, this.filled, this.base);
  }

  /** Waits for the writes in flight and closes the direct handle; gathered bytes not drained are dropped. */
  async close(): Promise<void> {
    await Promise.all(this.inFlight);
    await this.direct?.close().catch(() => {});
    this.direct = undefined;
  }

  /** Starts writing and hashing the full current buffer and turns to the next one, once that one is free. */
  private async writeFull(): Promise<void> {
    if (this.inFlight.length === STAGES - 1) await this.inFlight.shift();
    this.check();
    const at = this.base;
    const written = this.put(this.buffers[this.turn] as Uint8Array, at);
    const hashed = this.handOver(this.memory, this.turn * STAGE, STAGE, at);
    this.inFlight.push(
      Promise.all([written, hashed]).then(
        () => {},
        (e: unknown) => {
          this.failure ??= e;
        },
      ),
    );
    this.turn = (this.turn + 1) % STAGES;
    this.base += STAGE;
    this.filled = 0;
  }

  /** Writes whole blocks at a block-aligned offset: directly, or through the ordinary handle once the device refused. */
  private put(data: Uint8Array, at: number): Promise<void> {
    return io("write", this.path, () => this.putOnce(data, at));
  }

  private async putOnce(data: Uint8Array, at: number): Promise<void> {
    const direct = this.direct;
    if (direct !== undefined) {
      try {
        await writeFully(direct, data, at);
        return;
      } catch (e) {
        if (!isAlignmentError(e)) throw e;
        this.direct = undefined;
        await direct.close().catch(() => {});
      }
    }
    await writeFully(this.fh, data, at);
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
