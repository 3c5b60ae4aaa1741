import { Client, type ChannelCredentials, type ChannelOptions, type ClientReadableStream, type Metadata, type ServiceError } from "@grpc/grpc-js";
import { ChunkBuffers, isRaftError, RaftError, type NodeId, type SnapshotRequest } from "@raft/core/contracts";
import { checkServer } from "./handshake.js";
import { ReadGate } from "./read-gate.js";
import { fetchSnapshotMethod, type Decoded } from "./service-definition.js";
import { errorFromStatus } from "./status-mapping.js";

export interface FetchContext {
  readonly peer: NodeId;
  readonly address: string;
  readonly clusterId: string;
  readonly credentials: ChannelCredentials;
  /** Options of the fetch's own channel (its flow-control window included). */
  readonly channelOptions: ChannelOptions;
  readonly metadata: Metadata;
  readonly idleMs: number;
  /** Chunks that may wait in this process for the reader. */
  readonly windowChunks: number;
  /** Copy chunks as they are decoded into buffers reused once the reader pulls the next (`FetchSnapshotOptions.reuseBuffers`). */
  readonly reuseBuffers: boolean;
  /** Called with each chunk's size, for stats. */
  readonly received: (bytes: number) => void;
  /** Called when the peer turns out not to be the node expected. */
  readonly mismatch: (detail: string) => void;
  /** Called when the peer answered as the node expected: a sign of life. */
  readonly answered: () => void;
}

const isServiceError = (e: unknown): e is ServiceError => typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "number" && "details" in e;

/**
 * Pulls one snapshot file range over its own connection (bulk bytes never
 * queue behind heartbeats). Backpressure: at most `windowChunks` chunks wait
 * here for the reader (`ReadGate`), HTTP/2 lets the server run at most its
 * flow-control window ahead of that, and the server writes only as HTTP/2
 * takes its chunks. Fails with the serving side's `RaftError`
 * code, `Timeout` when no chunk comes for `idleMs` while the reader waits,
 * `Unavailable` for network failures; `signal` cancels the call.
 */
export async function* fetchChunks(ctx: FetchContext, request: SnapshotRequest, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  if (signal.aborted) throw new RaftError("Aborted", "the snapshot fetch was aborted");
  const what = `snapshot stream from node ${ctx.peer}`;
  const client = new Client(ctx.address, ctx.credentials, ctx.channelOptions);
  const m = fetchSnapshotMethod;
  const gate = new ReadGate(ctx.windowChunks);
  const buffers = ctx.reuseBuffers ? new ChunkBuffers() : undefined;
  const deserialize = buffers === undefined ? m.responseDeserialize : (bytes: Buffer) => copied(m.responseDeserialize(bytes), buffers);
  const call: ClientReadableStream<Decoded<Uint8Array>> = client.makeServerStreamRequest(m.path, m.requestSerialize, deserialize, request, ctx.metadata, {
    interceptors: [gate.interceptor],
  });
  let identity: string | undefined;
  call.on("metadata", (md: Metadata) => {
    identity = checkServer(md, ctx.clusterId, ctx.peer);
    if (identity !== undefined) {
      ctx.mismatch(identity);
      call.cancel();
    } else ctx.answered();
  });
  // Errors reach the reader through the iterator; this keeps a late one (after cancel) from going unhandled.
  call.on("error", () => {});
  const chunks = call[Symbol.asyncIterator]() as AsyncIterator<Decoded<Uint8Array>>;
  let stop: ((reason: RaftError) => void) | undefined;
  const onAbort = () => stop?.(new RaftError("Aborted", "the snapshot fetch was aborted"));
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      if (signal.aborted) throw new RaftError("Aborted", "the snapshot fetch was aborted");
      let timer: NodeJS.Timeout | undefined;
      const interrupted = new Promise<never>((_, reject) => {
        stop = reject;
        timer = setTimeout(() => reject(new RaftError("Timeout", `${what}: no data for ${ctx.idleMs} ms`)), ctx.idleMs);
      });
      const pending = chunks.next();
      let next: IteratorResult<Decoded<Uint8Array>>;
      try {
        next = await Promise.race([pending, interrupted]);
      } catch (e) {
        // The pending read settles once the call is cancelled; nobody waits for it.
        pending.catch(() => {});
        if (identity !== undefined) throw new RaftError("Unavailable", `${what}: ${identity}`);
        if (isRaftError(e)) throw e;
        if (isServiceError(e)) throw errorFromStatus(e, what);
        throw new RaftError("Unavailable", `${what}: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        clearTimeout(timer);
        stop = undefined;
      }
      if (next.done === true) return;
      const chunk = next.value;
      if (!chunk.ok) throw new RaftError("InvalidMessage", `${what}: ${chunk.reason}`);
      ctx.received(chunk.value.length);
      yield buffers === undefined ? chunk.value : buffers.lend(chunk.value);
      buffers?.giveBack();
      gate.release();
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    call.cancel();
    call.destroy();
    client.close();
  }
}

/** A decoded chunk moved into one of `buffers`, so the message it arrived in is garbage at once. */
function copied(decoded: Decoded<Uint8Array>, buffers: ChunkBuffers): Decoded<Uint8Array> {
  return decoded.ok ? { ok: true, value: buffers.copy(decoded.value) } : decoded;
}
