import type { ServerWritableStream } from "@grpc/grpc-js";
import { BufferPool, parseSnapshotRequest, RaftError, type SnapshotRequest } from "@raft/core/contracts";
import { checkCaller, serverMetadata } from "./handshake.js";
import type { ServerContext } from "./server-context.js";
import { BYTES_FIELD_OVERHEAD, encodeSnapshotChunk, type Decoded, type WireSnapshotRequest } from "./service-definition.js";
import { statusFor } from "./status-mapping.js";
import { WriteWindow } from "./write-window.js";

/** Chunks written and not yet taken by HTTP/2, per stream. */
const SERVE_WINDOW = 4;

/**
 * The server side of `FetchSnapshot`: checks the caller and the request,
 * then streams what the node's `onSnapshotRequest` yields, each chunk copied
 * into its message before the next is pulled (the source may reuse its
 * buffer), never more than `SERVE_WINDOW` ahead of HTTP/2. The reader
 * cancelling aborts the source; a failure ends the call with the status
 * and `raft-error-code` of the error.
 */
export function fetchSnapshotHandler(ctx: ServerContext) {
  return (call: ServerWritableStream<Decoded<WireSnapshotRequest>, Buffer>): void => {
    // Nothing here should throw; if something does, the call fails rather than the process.
    serve(ctx, call).catch((e: unknown) => fail(call, e));
  };
}

function fail(call: ServerWritableStream<Decoded<WireSnapshotRequest>, Buffer>, error: unknown): void {
  call.emit("error", statusFor(error));
}

async function serve(ctx: ServerContext, call: ServerWritableStream<Decoded<WireSnapshotRequest>, Buffer>): Promise<void> {
  const verdict = checkCaller(call.metadata, call.getAuthContext(), ctx.policy);
  if (!verdict.ok) {
    ctx.stats.rejectedCalls++;
    ctx.reject(verdict.reason, { caller: verdict.caller, remote: call.getPeer(), call: "FetchSnapshot" });
    call.emit("error", { code: verdict.code, details: verdict.details });
    return;
  }
  const caller = verdict.caller;
  ctx.heard(caller);
  let request: SnapshotRequest;
  try {
    if (!call.request.ok) throw new RaftError("InvalidMessage", call.request.reason);
    request = parseSnapshotRequest(call.request.value);
  } catch (e) {
    ctx.reject("invalid snapshot request", { caller, remote: call.getPeer(), detail: (e as Error).message.slice(0, 300) });
    fail(call, e);
    return;
  }
  const handlers = ctx.handlers();
  if (handlers === undefined) {
    fail(call, new RaftError("Unavailable", `node ${ctx.self} is not serving yet`));
    return;
  }
  call.sendMetadata(serverMetadata(ctx.clusterId, ctx.self));
  const abort = new AbortController();
  call.on("cancelled", () => abort.abort(new RaftError("Aborted", `node ${caller} cancelled the snapshot stream`)));
  call.on("error", () => {});
  const window = new WriteWindow(call, SERVE_WINDOW, ctx.snapshotIdleMs, abort.signal);
  // Message buffers gRPC is done with, reused for the next chunks: a fresh megabyte per chunk would cost garbage collection.
  const spare = new BufferPool(SERVE_WINDOW);
  let source: AsyncIterator<Uint8Array> | undefined;
  try {
    source = handlers.onSnapshotRequest(caller, request, abort.signal)[Symbol.asyncIterator]();
    for (;;) {
      const next = await source.next();
      if (next.done === true || abort.signal.aborted) break;
      const chunk = next.value;
      // A source may yield more than one message can carry: split it.
      for (let at = 0; at < chunk.length && !abort.signal.aborted; at += ctx.maxChunkBytes) {
        const piece = chunk.subarray(at, at + ctx.maxChunkBytes);
        const buffer = spare.take(piece.length + BYTES_FIELD_OVERHEAD);
        await window.write(encodeSnapshotChunk(piece, buffer), () => spare.give(buffer));
        ctx.stats.snapshotBytesSent += piece.length;
      }
      if (abort.signal.aborted) break;
    }
    if (!abort.signal.aborted) call.end();
  } catch (e) {
    if (!abort.signal.aborted) fail(call, e);
    abort.abort(e);
  } finally {
    await source?.return?.().catch(() => {});
  }
}
