/**
 * The snapshot channel: one TCP (or TLS) connection per snapshot fetch,
 * opened by the reader with an HTTP upgrade to `raft-snapshot.v1` on the
 * listener's port and authenticated like the WebSocket upgrade. The request
 * rides in a header, as JSON `{ request, credit, maxChunkBytes }`; after the
 * 101 both ends send frames:
 *
 * ```
 * type u8 | length u32 (big-endian) | payload
 * server → reader
 *   1 DATA    a piece of the range, 1 … maxChunkBytes bytes, in order; one credit each
 *   2 END     length 0: the range is complete
 *   3 ERROR   UTF-8 JSON { code, message }: the request or the source failed
 * reader → server
 *   4 CREDIT  no payload; the length field is the number of chunks granted
 * ```
 *
 * Credit works as on the WebSocket stream (served-snapshot.ts,
 * incoming-snapshot.ts): the server never sends more chunks than granted,
 * so the reader holds at most its window. Closing the connection cancels.
 *
 * Why a connection of its own: with one reader, it can read into one buffer
 * it reuses (`onread`) and copy each piece into the chunk it fills,
 * allocating nothing per read. Over the WebSocket every 64 KiB read and
 * every reassembled message is a new buffer: a megabyte or two of garbage
 * per megabyte received, which piles up to V8's external-memory threshold
 * (64 MB) before a collection frees it.
 */

export const SNAPSHOT_CHANNEL = "raft-snapshot.v1";

/** The upgrade request's header carrying the `ChannelRequest`, as JSON. */
export const REQUEST_HEADER = "x-raft-snapshot-request";

export const FRAME = { data: 1, end: 2, error: 3, credit: 4 } as const;

export const FRAME_HEAD_BYTES = 5;

/** An ERROR frame's payload is cut to this. */
export const MAX_ERROR_BYTES = 4096;

/** Writes a frame head at the start of `target`. */
export function writeFrameHead(target: Buffer, type: number, length: number): void {
  target[0] = type;
  target.writeUInt32BE(length, 1);
}

/** What the request header carries. */
export interface ChannelRequest {
  readonly request: unknown;
  /** Chunks the server may send before more credit comes. */
  readonly credit: number;
  /** The largest DATA frame payload the reader takes. */
  readonly maxChunkBytes: number;
}

/** A CREDIT frame granting `chunks`. */
export function creditFrame(chunks: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEAD_BYTES);
  writeFrameHead(frame, FRAME.credit, chunks);
  return frame;
}

/** An ERROR frame carrying a `RaftError` code and its message (cut to 1,000 characters). */
export function errorFrame(code: string, message: string): Buffer {
  return controlFrame(FRAME.error, JSON.stringify({ code, message: message.slice(0, 1000) }));
}

/** A whole END or ERROR frame. */
export function controlFrame(type: typeof FRAME.end | typeof FRAME.error, payload = ""): Buffer {
  const body = Buffer.from(payload, "utf8").subarray(0, MAX_ERROR_BYTES);
  const frame = Buffer.allocUnsafe(FRAME_HEAD_BYTES + body.length);
  writeFrameHead(frame, type, body.length);
  body.copy(frame, FRAME_HEAD_BYTES);
  return frame;
}
