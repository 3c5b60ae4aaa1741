import { ProtoError, ProtoReader, ProtoWriter, WireType, bytesFieldSize, uintFieldSize, utf8Bytes } from "./protobuf.js";

/**
 * The messages of proto/raft_transport.proto, encoded by hand. `PROTO_FIELDS`
 * is what the encoders and decoders below use, and a test checks it against
 * the .proto file, so the file stays the truth.
 */
export const PROTO_FIELDS = {
  Frame: { messages: { number: 1, type: "bytes" } },
  MessagesSummary: { accepted_frames: { number: 1, type: "uint64" }, rejected_frames: { number: 2, type: "uint64" } },
  SnapshotRequest: {
    id: { number: 1, type: "string" },
    file: { number: 2, type: "string" },
    offset: { number: 3, type: "uint64" },
    chunk_size: { number: 4, type: "uint32" },
  },
  SnapshotChunk: { data: { number: 1, type: "bytes" } },
} as const;

/** The result of decoding untrusted bytes: a value, or why they were refused. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export interface Frame {
  /** `encodeMessages` output. */
  readonly messages: Uint8Array;
}

export interface MessagesSummary {
  readonly acceptedFrames: number;
  readonly rejectedFrames: number;
}

/** A snapshot request as it came off the wire: not yet validated (see `parseSnapshotRequest`). */
export interface WireSnapshotRequest {
  readonly id: string;
  readonly file: string;
  readonly offset: number;
  readonly chunkSize: number;
}

const F = PROTO_FIELDS;
const UINT32_MAX = 0xffff_ffff;

/** Runs a decoder over untrusted bytes; a malformed message becomes a reason, never a throw. */
function decode<T>(what: string, bytes: Uint8Array, read: (r: ProtoReader) => T): Decoded<T> {
  try {
    return { ok: true, value: read(new ProtoReader(bytes)) };
  } catch (e) {
    if (e instanceof ProtoError) return { ok: false, reason: `malformed ${what}: ${e.message}` };
    throw e;
  }
}

/** Bytes of a `Frame` wrapping `messages`: the frame's gRPC message size. */
export function frameSize(messagesLength: number): number {
  return bytesFieldSize(F.Frame.messages.number, messagesLength);
}

export function encodeFrame(messages: Uint8Array): Buffer {
  return new ProtoWriter(frameSize(messages.length)).bytesField(F.Frame.messages.number, messages).finish();
}

export function decodeFrame(bytes: Uint8Array): Decoded<Frame> {
  return decode("Frame", bytes, (r) => {
    let messages: Uint8Array = new Uint8Array(0);
    while (!r.done) {
      const { field, wireType } = r.tag();
      if (field === F.Frame.messages.number) {
        r.expect(wireType, WireType.lengthDelimited, "Frame.messages");
        messages = r.bytesView("Frame.messages");
      } else r.skip(wireType);
    }
    return { messages };
  });
}

export function encodeMessagesSummary(s: MessagesSummary): Buffer {
  const a = F.MessagesSummary.accepted_frames.number;
  const b = F.MessagesSummary.rejected_frames.number;
  return new ProtoWriter(uintFieldSize(a, s.acceptedFrames) + uintFieldSize(b, s.rejectedFrames)).uintField(a, s.acceptedFrames).uintField(b, s.rejectedFrames).finish();
}

export function decodeMessagesSummary(bytes: Uint8Array): Decoded<MessagesSummary> {
  return decode("MessagesSummary", bytes, (r) => {
    let acceptedFrames = 0;
    let rejectedFrames = 0;
    while (!r.done) {
      const { field, wireType } = r.tag();
      if (field === F.MessagesSummary.accepted_frames.number) {
        r.expect(wireType, WireType.varint, "MessagesSummary.accepted_frames");
        acceptedFrames = r.varint("MessagesSummary.accepted_frames");
      } else if (field === F.MessagesSummary.rejected_frames.number) {
        r.expect(wireType, WireType.varint, "MessagesSummary.rejected_frames");
        rejectedFrames = r.varint("MessagesSummary.rejected_frames");
      } else r.skip(wireType);
    }
    return { acceptedFrames, rejectedFrames };
  });
}

export function encodeSnapshotRequest(request: WireSnapshotRequest): Buffer {
  const f = F.SnapshotRequest;
  const id = utf8Bytes(request.id);
  const file = utf8Bytes(request.file);
  const size =
    bytesFieldSize(f.id.number, id.length) + bytesFieldSize(f.file.number, file.length) + uintFieldSize(f.offset.number, request.offset) + uintFieldSize(f.chunk_size.number, request.chunkSize);
  return new ProtoWriter(size)
    .bytesField(f.id.number, id)
    .bytesField(f.file.number, file)
    .uintField(f.offset.number, request.offset)
    .uintField(f.chunk_size.number, request.chunkSize)
    .finish();
}

export function decodeSnapshotRequest(bytes: Uint8Array): Decoded<WireSnapshotRequest> {
  const f = F.SnapshotRequest;
  return decode("SnapshotRequest", bytes, (r) => {
    let id = "";
    let file = "";
    let offset = 0;
    let chunkSize = 0;
    while (!r.done) {
      const { field, wireType } = r.tag();
      switch (field) {
        case f.id.number:
          r.expect(wireType, WireType.lengthDelimited, "SnapshotRequest.id");
          id = r.string("SnapshotRequest.id");
          break;
        case f.file.number:
          r.expect(wireType, WireType.lengthDelimited, "SnapshotRequest.file");
          file = r.string("SnapshotRequest.file");
          break;
        case f.offset.number:
          r.expect(wireType, WireType.varint, "SnapshotRequest.offset");
          offset = r.varint("SnapshotRequest.offset");
          break;
        case f.chunk_size.number:
          r.expect(wireType, WireType.varint, "SnapshotRequest.chunk_size");
          chunkSize = r.varint("SnapshotRequest.chunk_size");
          if (chunkSize > UINT32_MAX) throw new ProtoError(`SnapshotRequest.chunk_size: ${chunkSize} does not fit in uint32`);
          break;
        default:
          r.skip(wireType);
      }
    }
    return { id, file, offset, chunkSize };
  });
}

/** Bytes of a `SnapshotChunk` carrying `dataLength` bytes. */
export function snapshotChunkSize(dataLength: number): number {
  return bytesFieldSize(F.SnapshotChunk.data.number, dataLength);
}

/** Copies `data` into a new message: the serving side may reuse its buffer as soon as this returns. */
export function encodeSnapshotChunk(data: Uint8Array): Buffer {
  return new ProtoWriter(snapshotChunkSize(data.length)).bytesField(F.SnapshotChunk.data.number, data).finish();
}

export function decodeSnapshotChunk(bytes: Uint8Array): Decoded<Uint8Array> {
  return decode("SnapshotChunk", bytes, (r) => {
    let data: Uint8Array = new Uint8Array(0);
    while (!r.done) {
      const { field, wireType } = r.tag();
      if (field === F.SnapshotChunk.data.number) {
        r.expect(wireType, WireType.lengthDelimited, "SnapshotChunk.data");
        data = r.bytesView("SnapshotChunk.data");
      } else r.skip(wireType);
    }
    return data;
  });
}
