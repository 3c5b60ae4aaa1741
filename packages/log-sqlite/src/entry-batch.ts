/**
 * A save's entries, packed into one ArrayBuffer that is transferred (not
 * copied) to the writer thread, and back with its reply for reuse:
 *
 * ```
 * Float64 × 2n   index, term        (bytes 0 … 16n)
 * Uint32  × 2n   payload length, kind code   (bytes 16n … 24n)
 * payloads, back to back            (bytes 24n …)
 * ```
 *
 * Both sides import this file; it has no dependency on @raft/core, so the
 * writer thread loads only better-sqlite3 and this package's own files.
 */

/** Bytes of fixed-size fields per entry. */
export const ENTRY_HEADER_BYTES = 24;

/** How many kind codes exist (0 normal, 1 noop, 2 config; see entry-codec.ts). */
export const KIND_CODE_COUNT = 3;

/** What `encodeEntries` reads of an entry (an `Entry` of @raft/core). */
export interface EncodableEntry<K extends string | number = string> {
  readonly index: number;
  readonly term: number;
  readonly kind: K;
  readonly data: Uint8Array;
}

/** The bytes `encodeEntries` writes for these entries. */
export function batchBytes(entries: readonly EncodableEntry<string | number>[]): number {
  let bytes = entries.length * ENTRY_HEADER_BYTES;
  for (const e of entries) bytes += e.data.byteLength;
  return bytes;
}

/**
 * Copies the entries into `buffer` (at least `batchBytes(entries)` long), one
 * memcpy per payload. The payloads may be views into buffers the caller
 * shares or reuses (an HTTP body, a pool), so they are never transferred
 * themselves: only the batch buffer, which belongs to the store, is.
 */
export function encodeEntries<K extends string | number>(entries: readonly EncodableEntry<K>[], codeOf: (kind: K) => number, buffer: ArrayBuffer): void {
  const count = entries.length;
  const numbers = new Float64Array(buffer, 0, 2 * count);
  const words = new Uint32Array(buffer, 16 * count, 2 * count);
  const bytes = new Uint8Array(buffer);
  let offset = count * ENTRY_HEADER_BYTES;
  for (let k = 0; k < count; k++) {
    const e = entries[k] as EncodableEntry<K>;
    numbers[2 * k] = e.index;
    numbers[2 * k + 1] = e.term;
    words[2 * k] = e.data.byteLength;
    words[2 * k + 1] = codeOf(e.kind);
    bytes.set(e.data, offset);
    offset += e.data.byteLength;
  }
}

/** Batch buffers go to the writer thread and come back with its reply: rounded up to this, they fit the next batches too. */
const BATCH_BUFFER_STEP = 64 * 1024;
/** A returned buffer larger than this is left to the garbage collector instead of being kept for reuse. */
const MAX_KEPT_BUFFER = 16 * 1024 * 1024;

/**
 * The batch buffers of one store. A fresh large allocation costs more than
 * the copy into it (the kernel maps and zeroes new pages each time), so the
 * writer thread sends each buffer back with its reply and the next batch
 * reuses it.
 */
export class BatchBuffers {
  private spare: ArrayBuffer | undefined;

  /** A buffer of at least `bytes`, the spare one if it is large enough. */
  take(bytes: number): ArrayBuffer {
    const spare = this.spare;
    if (spare !== undefined && spare.byteLength >= bytes) {
      this.spare = undefined;
      return spare;
    }
    const size = Math.ceil(Math.max(bytes, 1) / BATCH_BUFFER_STEP) * BATCH_BUFFER_STEP;
    // Not zero-filled (only what encodeEntries writes is read), and never from Node's shared pool: the whole ArrayBuffer is ours to transfer.
    return Buffer.allocUnsafeSlow(size).buffer as ArrayBuffer;
  }

  /** Keeps a buffer back from the writer thread for the next batch. */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0 || buffer.byteLength > MAX_KEPT_BUFFER) return;
    if (this.spare === undefined || this.spare.byteLength < buffer.byteLength) this.spare = buffer;
  }
}

/** One entry of a decoded batch: `data` is a Buffer view into the batch (better-sqlite3 binds Buffers on its fast path). */
export interface BatchRow {
  index: number;
  term: number;
  code: number;
  data: Buffer;
}

/**
 * The entries of a batch, as Buffer views into it (no copy), after checking
 * that its first `bytes` bytes hold exactly `count` well-formed entries.
 * Throws a plain `Error` saying what is wrong.
 */
export function decodeEntries(buffer: ArrayBuffer, bytes: number, count: number): BatchRow[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`entry batch: bad count ${String(count)}`);
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > buffer.byteLength) throw new Error(`entry batch: ${String(bytes)} bytes used of a buffer of ${buffer.byteLength}`);
  const headerBytes = count * ENTRY_HEADER_BYTES;
  if (bytes < headerBytes) throw new Error(`entry batch: ${bytes} bytes cannot hold ${count} entries`);
  const numbers = new Float64Array(buffer, 0, 2 * count);
  const words = new Uint32Array(buffer, 16 * count, 2 * count);
  const rows = new Array<BatchRow>(count);
  let offset = headerBytes;
  for (let k = 0; k < count; k++) {
    const index = numbers[2 * k] as number;
    const term = numbers[2 * k + 1] as number;
    const length = words[2 * k] as number;
    const code = words[2 * k + 1] as number;
    if (!Number.isSafeInteger(index) || index < 1 || !Number.isSafeInteger(term) || term < 0) throw new Error(`entry batch: entry ${k} has index ${index}, term ${term}`);
    if (k > 0 && index !== (rows[k - 1] as BatchRow).index + 1) throw new Error(`entry batch: entry ${k} has index ${index}, not contiguous`);
    if (code >= KIND_CODE_COUNT) throw new Error(`entry batch: entry ${index} has kind code ${code}`);
    if (offset + length > bytes) throw new Error(`entry batch: entry ${index} runs past the end of the batch`);
    rows[k] = { index, term, code, data: Buffer.from(buffer, offset, length) };
    offset += length;
  }
  if (offset !== bytes) throw new Error(`entry batch: ${bytes - offset} bytes left over after ${count} entries`);
  return rows;
}
