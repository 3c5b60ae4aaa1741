import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import {
  decodeFrame,
  decodeMessagesSummary,
  decodeSnapshotChunk,
  decodeSnapshotRequest,
  encodeMessagesSummary,
  encodeSnapshotRequest,
  type Decoded,
  type Frame,
  type MessagesSummary,
  type WireSnapshotRequest,
} from "./proto-messages.js";

/**
 * The `RaftTransport` service of proto/raft_transport.proto as a grpc-js
 * generic service definition, with hand-written (de)serializers.
 *
 * Deserializers never throw: grpc-js would answer a throw with INTERNAL
 * before any handler runs, and the rejection could be neither counted nor
 * logged. They return `Decoded` values that the handlers check instead.
 *
 * Frames and snapshot chunks are encoded by the sender before `write()`
 * (their serializers pass the bytes through): a frame's size must be known to
 * batch it, and a chunk must be copied before the serving side reuses its buffer.
 */
const SERVICE = "raft.transport.v1.RaftTransport";

const passThrough = (bytes: Buffer): Buffer => bytes;

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

export const messagesMethod: RaftMethod<Buffer, Decoded<Frame>, MessagesSummary, MessagesSummary> = {
  path: `/${SERVICE}/Messages`,
  originalName: "messages",
  requestStream: true,
  responseStream: false,
  requestSerialize: passThrough,
  requestDeserialize: (bytes) => decodeFrame(bytes),
  responseSerialize: encodeMessagesSummary,
  // A summary the caller cannot read is no reason to fail: it is informational.
  responseDeserialize: (bytes) => {
    const d = decodeMessagesSummary(bytes);
    return d.ok ? d.value : { acceptedFrames: 0, rejectedFrames: 0 };
  },
};

export const fetchSnapshotMethod: RaftMethod<WireSnapshotRequest, Decoded<WireSnapshotRequest>, Buffer, Decoded<Uint8Array>> = {
  path: `/${SERVICE}/FetchSnapshot`,
  originalName: "fetchSnapshot",
  requestStream: false,
  responseStream: true,
  requestSerialize: encodeSnapshotRequest,
  requestDeserialize: (bytes) => decodeSnapshotRequest(bytes),
  responseSerialize: passThrough,
  responseDeserialize: (bytes) => decodeSnapshotChunk(bytes),
};

export const raftTransportService: ServiceDefinition = {
  Messages: messagesMethod as unknown as MethodDefinition<unknown, unknown>,
  FetchSnapshot: fetchSnapshotMethod as unknown as MethodDefinition<unknown, unknown>,
};
