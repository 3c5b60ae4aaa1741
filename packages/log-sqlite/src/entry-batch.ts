/**
 * A save's entries, packed into one ArrayBuffer that is transferred (not
 * copied) to the writer thread:
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
export interface EncodableEntry<K extends string = string> {
  readonly index: number;
  readonly term: number;
  readonly kind: K;
  readonly data: Uint8Array;
}

/**
 * Copies the entries into a new buffer of their own: one memcpy per payload.
 * Payloads may be views into buffers the caller shares or reuses (an HTTP
 * body, a pool), so only this new buffer is ever transferred. `codeOf` gives
 * a kind's stored code.
 */
export function encodeEntries<K extends string>(entries: readonly EncodableEntry<K>[], codeOf: (kind: K) => number): ArrayBuffer {
  const count = entries.length;
  let payloadBytes = 0;
  for (const e of entries) payloadBytes += e.data.byteLength;
  // Not zero-filled (every byte is written below), and never from Node's shared pool: the whole ArrayBuffer is ours to transfer.
  const buffer = Buffer.allocUnsafeSlow(count * ENTRY_HEADER_BYTES + payloadBytes).buffer as ArrayBuffer;
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
  return buffer;
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
 * that the buffer holds exactly `count` well-formed entries. Throws a plain
 * `Error` saying what is wrong.
 */
export function decodeEntries(buffer: ArrayBuffer, count: number): BatchRow[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`entry batch: bad count ${String(count)}`);
  const headerBytes = count * ENTRY_HEADER_BYTES;
  if (buffer.byteLength < headerBytes) throw new Error(`entry batch: ${buffer.byteLength} bytes cannot hold ${count} entries`);
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
    if (offset + length > buffer.byteLength) throw new Error(`entry batch: entry ${index} runs past the end of the buffer`);
    rows[k] = { index, term, code, data: Buffer.from(buffer, offset, length) };
    offset += length;
  }
  if (offset !== buffer.byteLength) throw new Error(`entry batch: ${buffer.byteLength - offset} bytes left over after ${count} entries`);
  return rows;
}
