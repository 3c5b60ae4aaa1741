import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { FrameSchema, MessagesSummarySchema, RaftTransport, SnapshotChunkSchema, SnapshotRequestSchema } from "./gen/raft_transport_pb.js";

/**
 * The `RaftTransport` service of proto/raft_transport.proto as a grpc-js
 * service definition, its messages encoded by the code protoc-gen-es
 * generates from the .proto (src/gen/, `pnpm generate`).
 *
 * Deserializers never throw: grpc-js would answer a throw with INTERNAL
 * before any handler runs, and the rejection could be neither counted nor
 * logged. They return `Decoded` values that the handlers check instead.
 * Byte fields are views into the received message, never copies.
 *
 * Frames and snapshot chunks are encoded by the sender before `write()`
 * (their serializers pass the bytes through): a frame's size must be known to
 * batch it, and a chunk must be copied before the serving side reuses its buffer.
 * They are the hot paths and carry one `bytes` field each: the payload is
 * copied once, after a head that the library's `BinaryWriter` writes for the
 * field the generated descriptor names, the same bytes `toBinary` writes (a
 * test checks) without its intermediate copies.
 */

/** The result of decoding untrusted bytes: a value, or why they were refused. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

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

/** The most a length-delimited field adds to its payload: a one-byte tag and a length varint. */
export const BYTES_FIELD_OVERHEAD = 6;

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function decode<D extends DescMessage, T>(schema: D, bytes: Uint8Array, read: (m: MessageShape<D>) => T): Decoded<T> {
  try {
    // A plain Uint8Array view of a received Buffer (no copy): byte fields decode to plain views of it too.
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { ok: true, value: read(fromBinary(schema, view, { readUnknownFields: false })) };
  } catch (e) {
    return { ok: false, reason: `malformed ${schema.name}: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}` };
  }
}

/** A uint64 that must be a safe integer: refused rather than rounded. */
function safe(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what}: ${value} is not a safe integer`);
  return Number(value);
}

/**
 * A message of one `bytes` field (its descriptor's only field) holding
 * `data`: one copy of `data`, into `target` (a view of it) when that is
 * large enough, else into a new buffer.
 */
function singleBytesMessage(schema: DescMessage, data: Uint8Array, target?: Buffer): Buffer {
  if (data.length === 0) return Buffer.alloc(0); // proto3 leaves empty bytes out
  const head = new BinaryWriter()
    .tag((schema.fields[0] as { number: number }).number, WireType.LengthDelimited)
    .uint32(data.length)
    .finish();
  const length = head.length + data.length;
  const out = target !== undefined && target.length >= length ? target.subarray(0, length) : Buffer.allocUnsafe(length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

/** A `Frame` carrying `encodeMessages` output. */
export function encodeFrame(messages: Uint8Array): Buffer {
  return singleBytesMessage(FrameSchema, messages);
}

export function decodeFrame(bytes: Uint8Array): Decoded<Uint8Array> {
  return decode(FrameSchema, bytes, (f) => f.messages);
}

/**
 * Copies `data` into a message, written into `target` when it is large
 * enough (`BYTES_FIELD_OVERHEAD` beyond `data`): the serving side may
 * reuse `data`'s buffer as soon as this returns.
 */
export function encodeSnapshotChunk(data: Uint8Array, target?: Buffer): Buffer {
  return singleBytesMessage(SnapshotChunkSchema, data, target);
}

export function decodeSnapshotChunk(bytes: Uint8Array): Decoded<Uint8Array> {
  return decode(SnapshotChunkSchema, bytes, (c) => c.data);
}

export function encodeSnapshotRequest(r: WireSnapshotRequest): Buffer {
  return asBuffer(toBinary(SnapshotRequestSchema, create(SnapshotRequestSchema, { id: r.id, file: r.file, offset: BigInt(r.offset), chunkSize: r.chunkSize })));
}

export function decodeSnapshotRequest(bytes: Uint8Array): Decoded<WireSnapshotRequest> {
  return decode(SnapshotRequestSchema, bytes, (r) => ({ id: r.id, file: r.file, offset: safe(r.offset, "SnapshotRequest.offset"), chunkSize: r.chunkSize }));
}

export function encodeMessagesSummary(s: MessagesSummary): Buffer {
  return asBuffer(toBinary(MessagesSummarySchema, create(MessagesSummarySchema, { acceptedFrames: BigInt(s.acceptedFrames), rejectedFrames: BigInt(s.rejectedFrames) })));
}

export function decodeMessagesSummary(bytes: Uint8Array): Decoded<MessagesSummary> {
  return decode(MessagesSummarySchema, bytes, (s) => ({ acceptedFrames: safe(s.acceptedFrames, "accepted_frames"), rejectedFrames: safe(s.rejectedFrames, "rejected_frames") }));
}

const passThrough = (bytes: Buffer): Buffer => bytes;
const path = (method: { readonly parent: { readonly typeName: string }; readonly name: string }) => `/${method.parent.typeName}/${method.name}`;

/** A method whose two ends see different types: encoded bytes on the sending side, `Decoded` values on the receiving side. */
export interface RaftMethod<ClientRequest, ServerRequest, ServerResponse, ClientResponse> {
  readonly path: string;
  readonly originalName: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestSerialize: (value: ClientRequest) => Buffer;
  readonly requestDeserialize: (bytes: Buffer) => ServerRequest;
  readonly responseSerialize: (value: ServerResponse) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => ClientResponse;
}

export const messagesMethod: RaftMethod<Buffer, Decoded<Uint8Array>, MessagesSummary, MessagesSummary> = {
  path: path(RaftTransport.method.messages),
  originalName: "messages",
  requestStream: true,
  responseStream: false,
  requestSerialize: passThrough,
  requestDeserialize: decodeFrame,
  responseSerialize: encodeMessagesSummary,
  // A summary the caller cannot read is no reason to fail: it is informational.
  responseDeserialize: (bytes) => {
    const d = decodeMessagesSummary(bytes);
    return d.ok ? d.value : { acceptedFrames: 0, rejectedFrames: 0 };
  },
};

export const fetchSnapshotMethod: RaftMethod<WireSnapshotRequest, Decoded<WireSnapshotRequest>, Buffer, Decoded<Uint8Array>> = {
  path: path(RaftTransport.method.fetchSnapshot),
  originalName: "fetchSnapshot",
  requestStream: false,
  responseStream: true,
  requestSerialize: encodeSnapshotRequest,
  requestDeserialize: decodeSnapshotRequest,
  responseSerialize: passThrough,
  responseDeserialize: decodeSnapshotChunk,
};

export const raftTransportService: ServiceDefinition = {
  Messages: messagesMethod as unknown as MethodDefinition<unknown, unknown>,
  FetchSnapshot: fetchSnapshotMethod as unknown as MethodDefinition<unknown, unknown>,
};
