import { RaftError, type RaftErrorCode } from "../../../engine/errors.js";
import { TRANSPORT_LIMITS } from "../transport-options.js";

/**
 * The snapshot channel: one TCP (or TLS) connection per snapshot fetch,
 * opened by the reader with an HTTP upgrade to `raft-snapshot.v1` on the
 * transport's port and authenticated as the transport authenticates its
 * peers (each transport checks the upgrade's headers itself). The request
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
 * Credit works as on a stream shared with engine messages (served-snapshot.ts,
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

/** A refused upgrade's response header: the reason. `protocol` means the listener does not serve the channel. */
export const REJECT_HEADER = "x-raft-reject";

/** Snapshot streams one peer may have a node serve at once. */
export const MAX_SERVED_STREAMS_PER_PEER = 16;

/** A served stream sends chunks only while fewer bytes than this wait for the socket. */
export const SNAPSHOT_HIGH_WATER_BYTES = 2 << 20;

/** The most credit a reader may hold out: the largest window a transport allows. */
export const MAX_CREDIT_CHUNKS = TRANSPORT_LIMITS.snapshotWindowChunks.max;

/** A reader asking for chunks smaller than this is refused: tiny frames would only cost CPU. */
export const MIN_CHUNK_BYTES = 1024;

export const FRAME = { data: 1, end: 2, error: 3, credit: 4 } as const;

export const FRAME_HEAD_BYTES = 5;

/** An ERROR frame's payload is cut to this. */
export const MAX_ERROR_BYTES = 4096;

/** The 101 that opens a channel, with the transport's own response header lines (`Name: value`, saying who answers). */
export function acceptResponse(headerLines: readonly string[]): string {
  return `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SNAPSHOT_CHANNEL}\r\n${headerLines.map((line) => `${line}\r\n`).join("")}\r\n`;
}

/** A refused upgrade: the status and `reason` in `REJECT_HEADER`, then the connection closes. */
export function refusalResponse(status: number, reason: string): string {
  return `HTTP/1.1 ${status} Refused\r\nConnection: close\r\n${REJECT_HEADER}: ${reason}\r\nContent-Length: 0\r\n\r\n`;
}

/** Every error code a peer's ERROR frame may carry; anything else arrives as `Unavailable`. */
const ERROR_CODES: Record<RaftErrorCode, true> = {
  NotLeader: true,
  ProposalDropped: true,
  Timeout: true,
  Stopped: true,
  Compacted: true,
  Unavailable: true,
  InvalidConfig: true,
  InvalidMessage: true,
  StorageFailure: true,
  Corrupt: true,
  NotFound: true,
  Busy: true,
  Aborted: true,
  DiskFull: true,
  ConfigChangeInProgress: true,
  NotCaughtUp: true,
};

/** The `RaftError` a peer reported (code and message from its ERROR frame), its code kept when it is one this release knows. */
export function peerError(peer: number, code: string, message: string): RaftError {
  const known = Object.hasOwn(ERROR_CODES, code) ? (code as RaftErrorCode) : "Unavailable";
  return new RaftError(known, `node ${peer}: ${message}`);
}

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
