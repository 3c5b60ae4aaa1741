import { ChunkBuffers, deliver, IncomingSnapshot, RaftError, type FetchSettings, type SnapshotRequest } from "@raft/core/contracts";
import type { PeerConnection } from "./connection.js";
import { cancelFrame, CHUNK_HEAD_BYTES, creditFrame, requestFrame } from "./envelope.js";

/**
 * Reads one snapshot file range from the peer at the other end of `connect()`:
 * sends the request with `windowChunks` of credit, yields chunks as they
 * arrive, returns credit as the consumer takes them. An abort, a timeout, or
 * the consumer stopping early cancels the server's stream.
 */
export async function* fetchOverConnection(connect: (signal: AbortSignal) => Promise<PeerConnection>, request: SnapshotRequest, signal: AbortSignal, s: FetchSettings): AsyncGenerator<Uint8Array> {
  if (signal.aborted) throw new RaftError("Aborted", "the snapshot fetch was aborted");
  const conn = await connect(signal);
  const stream = conn.nextFetchId++;
  const buffers = s.reuseBuffers ? new ChunkBuffers() : undefined;
  const incoming = new IncomingSnapshot(stream, s.windowChunks, s.idleMs, (credit) => conn.send(creditFrame(stream, credit)), buffers);
  conn.fetches.set(stream, incoming);
  let cancelled = false;
  const cancel = () => {
    if (cancelled || !incoming.needsCancel) return;
    cancelled = true;
    conn.send(cancelFrame(stream));
  };
  // Tell the server at once: the consumer may not come back to this generator for a while.
  signal.addEventListener("abort", cancel, { once: true });
  try {
    if (!conn.send(requestFrame(stream, s.windowChunks, s.maxFrameBytes - CHUNK_HEAD_BYTES, request))) throw conn.lostError();
    yield* deliver(incoming, signal, s.onChunk);
  } finally {
    signal.removeEventListener("abort", cancel);
    cancel();
    incoming.fail(new RaftError("Aborted", "the reader stopped"));
    conn.fetches.delete(stream);
    conn.endedFetches.add(stream);
  }
}
