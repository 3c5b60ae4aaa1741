import { BinaryReader, BinaryWriter, encodeMessages, isRaftError, type Message } from "@raft/core/contracts";
import { Rejection } from "./rejection.js";

/**
 * The envelope of every binary WebSocket message: `version (u8) · kind (u8)`
 * then the kind's fields. Integers are LEB128 varints, strings are
 * length-prefixed UTF-8. A node refuses a version it does not speak, so the
 * format can change without old nodes misreading new frames.
 *
 * | kind | name | fields | direction |
 * |---|---|---|---|
 * | 1 | messages | `encodeMessages` batch (carries its own `WIRE_VERSION`) | both |
 * | 2 | snapshot request | stream · credit · maxChunkBytes · id · file · offset · chunkSize | reader → server |
 * | 3 | snapshot credit | stream · chunks | reader → server |
 * | 4 | snapshot cancel | stream | reader → server |
 * | 5 | snapshot chunk | stream · bytes (the rest of the frame) | server → reader |
 * | 6 | snapshot end | stream | server → reader |
 * | 7 | snapshot error | stream · code · message | server → reader |
 */
export const ENVELOPE_VERSION = 1;

const KIND = {
  messages: 1,
  snapshotRequest: 2,
  snapshotCredit: 3,
  snapshotCancel: 4,
  snapshotChunk: 5,
  snapshotEnd: 6,
  snapshotError: 7,
} as const;

/** The fields of a snapshot request as they arrive: checked later with `parseSnapshotRequest`. */
export interface RequestFields {
  readonly id: string;
  readonly file: string;
  readonly offset: number;
  readonly chunkSize: number;
}

export type Frame =
  | { readonly kind: "messages"; readonly body: Uint8Array }
  | { readonly kind: "snapshot-request"; readonly stream: number; readonly credit: number; readonly maxChunkBytes: number; readonly request: RequestFields }
  | { readonly kind: "snapshot-credit"; readonly stream: number; readonly credit: number }
  | { readonly kind: "snapshot-cancel"; readonly stream: number }
  | { readonly kind: "snapshot-chunk"; readonly stream: number; readonly data: Uint8Array }
  | { readonly kind: "snapshot-end"; readonly stream: number }
  | { readonly kind: "snapshot-error"; readonly stream: number; readonly code: string; readonly message: string };

/** The most a chunk frame's head takes: version, kind, and a stream id varint. */
export const CHUNK_HEAD_BYTES = 2 + 8;

const MAX_ID_BYTES = 1024;
const MAX_FILE_BYTES = 255;
const MAX_CODE_BYTES = 64;
const MAX_ERROR_MESSAGE_BYTES = 1024;

/** A frame's head: version, kind, then what `fields` writes (varints and short strings, by the contracts' `BinaryWriter`). */
function head(kind: number, fields: (w: BinaryWriter) => void = () => {}): Uint8Array {
  const w = new BinaryWriter(32);
  w.u8(ENVELOPE_VERSION);
  w.u8(kind);
  fields(w);
  return w.finish();
}

/** The head alone as a frame (a view, no copy). */
function small(kind: number, fields: (w: BinaryWriter) => void): Buffer {
  const h = head(kind, fields);
  return Buffer.from(h.buffer, h.byteOffset, h.byteLength);
}

/** `h` then `tail`, copied once into `target`: the caller may reuse `tail` as soon as this returns. */
function withTail(h: Uint8Array, tail: Uint8Array, target: Buffer = Buffer.allocUnsafe(h.length + tail.length)): Buffer {
  target.set(h);
  target.set(tail, h.length);
  return target.subarray(0, h.length + tail.length);
}

/** A batch of engine messages for one peer, encoded once by the contracts' codec. */
export function messagesFrame(messages: readonly Message[]): Buffer {
  return withTail(head(KIND.messages), encodeMessages(messages));
}

export function requestFrame(stream: number, credit: number, maxChunkBytes: number, r: RequestFields): Buffer {
  return small(KIND.snapshotRequest, (w) => {
    for (const n of [stream, credit, maxChunkBytes]) w.varint(n);
    w.string(r.id);
    w.string(r.file);
    w.varint(r.offset);
    w.varint(r.chunkSize);
  });
}

export function creditFrame(stream: number, credit: number): Buffer {
  return small(KIND.snapshotCredit, (w) => {
    w.varint(stream);
    w.varint(credit);
  });
}

export function cancelFrame(stream: number): Buffer {
  return small(KIND.snapshotCancel, (w) => w.varint(stream));
}

/** Copies `data` into the frame, so a server may yield the same buffer again. */
export function chunkFrame(stream: number, data: Uint8Array): Buffer {
  return withTail(
    head(KIND.snapshotChunk, (w) => w.varint(stream)),
    data,
  );
}

/** `chunkFrame` written into `target` (at least `data.length + CHUNK_HEAD_BYTES` long): a view of it. */
export function chunkFrameInto(target: Buffer, stream: number, data: Uint8Array): Buffer {
  return withTail(
    head(KIND.snapshotChunk, (w) => w.varint(stream)),
    data,
    target,
  );
}

export function endFrame(stream: number): Buffer {
  return small(KIND.snapshotEnd, (w) => w.varint(stream));
}

export function errorFrame(stream: number, code: string, message: string): Buffer {
  return small(KIND.snapshotError, (w) => {
    w.varint(stream);
    w.string(code.slice(0, MAX_CODE_BYTES));
    w.string(truncateUtf8(message, MAX_ERROR_MESSAGE_BYTES));
  });
}

/**
 * Reads the envelope of an untrusted frame. Throws a `Rejection` naming the
 * problem; engine messages are left as bytes for `decodeMessages`.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  try {
    return readFrame(new BinaryReader(bytes));
  } catch (error) {
    // The reader's bounds checks (truncation, lying lengths, bad varints or UTF-8) are malformed frames here.
    if (isRaftError(error, "InvalidMessage") && !(error instanceof Rejection)) throw new Rejection("malformed-frame", error.message);
    throw error;
  }
}

function readFrame(r: BinaryReader): Frame {
  const version = r.u8("envelope version");
  if (version !== ENVELOPE_VERSION) throw new Rejection("envelope-version", `envelope version ${version} (this node speaks ${ENVELOPE_VERSION})`);
  const kind = r.u8("frame kind");
  let frame: Frame;
  switch (kind) {
    case KIND.messages:
      return { kind: "messages", body: r.rest() };
    case KIND.snapshotChunk:
      return { kind: "snapshot-chunk", stream: streamId(r), data: r.rest() };
    case KIND.snapshotRequest: {
      const stream = streamId(r);
      const credit = r.varint("credit");
      const maxChunkBytes = r.varint("maxChunkBytes");
      const request = { id: r.string("snapshot id", MAX_ID_BYTES), file: r.string("file", MAX_FILE_BYTES), offset: r.varint("offset"), chunkSize: r.varint("chunkSize") };
      frame = { kind: "snapshot-request", stream, credit, maxChunkBytes, request };
      break;
    }
    case KIND.snapshotCredit:
      frame = { kind: "snapshot-credit", stream: streamId(r), credit: r.varint("credit") };
      break;
    case KIND.snapshotCancel:
      frame = { kind: "snapshot-cancel", stream: streamId(r) };
      break;
    case KIND.snapshotEnd:
      frame = { kind: "snapshot-end", stream: streamId(r) };
      break;
    case KIND.snapshotError:
      frame = { kind: "snapshot-error", stream: streamId(r), code: r.string("error code", MAX_CODE_BYTES), message: r.string("error message", MAX_ERROR_MESSAGE_BYTES) };
      break;
    default:
      throw new Rejection("frame-kind", `unknown frame kind ${kind}`);
  }
  r.end("frame");
  return frame;
}

/** Stream ids start at 1: 0 is never a stream. */
function streamId(r: BinaryReader): number {
  const id = r.varint("stream");
  if (id === 0) throw new Rejection("malformed-frame", "stream id 0");
  return id;
}

function truncateUtf8(text: string, maxBytes: number): string {
  // A UTF-16 unit takes at most 3 UTF-8 bytes: cut where the result surely fits.
  return text.length * 3 <= maxBytes ? text : text.slice(0, Math.floor(maxBytes / 3));
}
