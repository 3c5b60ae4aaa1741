import type { Socket } from "node:net";
import type { NodeId } from "../../../engine/index.js";
import { parseSnapshotRequest } from "../../schemas.js";
import type { SnapshotRequest, TransportHandlers } from "../../transport.js";
import {
  controlFrame,
  errorFrame,
  FRAME,
  FRAME_HEAD_BYTES,
  MAX_CREDIT_CHUNKS,
  MAX_SERVED_STREAMS_PER_PEER,
  MIN_CHUNK_BYTES,
  SNAPSHOT_HIGH_WATER_BYTES,
  writeFrameHead,
  type ChannelRequest,
} from "./protocol.js";
import { ServedSnapshot, type StreamSink } from "./served-snapshot.js";

/** Why a channel's request was refused once accepted: a transport counts and logs these as it does its own. */
export type ChannelRejectReason = "bad-snapshot-request" | "credit-exceeded";

export interface ChannelServerDeps {
  readonly snapshotIdleMs: number;
  /** This node's frame limit (`maxFrameBytes`): no DATA frame it sends is larger, whatever the reader takes. */
  readonly maxFrameBytes: number;
  /** Undefined before the transport starts and after it closes. */
  handlers(): TransportHandlers | undefined;
  reject(peer: NodeId, reason: ChannelRejectReason, detail: string): void;
  /** A stream began (the request passed its checks): for a transport that counts them. */
  onServed?(): void;
  onChunkSent(bytes: number): void;
}

/**
 * The serving end of snapshot channels (protocol.ts): each channel socket,
 * authenticated by its transport, carries one stream, served by a
 * `ServedSnapshot` with the reader's credit read from the socket. A peer may
 * have at most 16 served at once.
 */
export class ChannelServer {
  private readonly serving = new Map<NodeId, Set<ServedSnapshot>>();

  constructor(private readonly d: ChannelServerDeps) {}

  /** Serves the request in `header` (the upgrade's, unparsed) on `socket`, whose 101 was sent. */
  serve(socket: Socket, peer: NodeId, header: unknown): void {
    const refuse = (code: string, message: string): void => {
      socket.end(errorFrame(code, message));
      this.closeLater(socket);
    };
    let asked: { request: SnapshotRequest; credit: number; maxChunkBytes: number };
    try {
      asked = parseChannelRequest(header);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.d.reject(peer, "bad-snapshot-request", message);
      return refuse("InvalidMessage", message);
    }
    const handlers = this.d.handlers();
    if (handlers === undefined) return refuse("Unavailable", "this node is not serving yet");
    const streams = this.serving.get(peer) ?? new Set<ServedSnapshot>();
    if (streams.size >= MAX_SERVED_STREAMS_PER_PEER) return refuse("Busy", `already serving ${streams.size} snapshot streams to node ${peer}`);
    const ended = () => {
      streams.delete(served);
      if (streams.size === 0) this.serving.delete(peer);
      // Cancelled or cut: neither END nor ERROR closed our side.
      if (socket.writableEnded) this.closeLater(socket);
      else socket.destroy();
    };
    const served = new ServedSnapshot(socketSink(socket, ended), asked.credit, {
      maxChunkBytes: Math.min(asked.maxChunkBytes, this.d.maxFrameBytes - FRAME_HEAD_BYTES),
      socketHighWaterBytes: SNAPSHOT_HIGH_WATER_BYTES,
      idleMs: this.d.snapshotIdleMs,
      onChunkSent: (bytes) => this.d.onChunkSent(bytes),
    });
    streams.add(served);
    this.serving.set(peer, streams);
    this.d.onServed?.();
    readCredit(socket, (chunks) => {
      if (served.grant(chunks)) return true;
      this.d.reject(peer, "credit-exceeded", `credit ${chunks}: zero, or beyond ${MAX_CREDIT_CHUNKS} chunks in all`);
      served.cancel();
      refuse("InvalidMessage", "credit beyond the largest window");
      return false;
    });
    // The reader closing its side is its cancel (the listener's sockets stay half open until this side ends).
    socket.once("end", () => served.cancel());
    socket.once("close", () => served.cancel());
    void served.run((signal) => handlers.onSnapshotRequest(peer, asked.request, signal));
  }

  /** After END or ERROR the reader closes the socket; one that keeps it open and silent loses it after `snapshotIdleMs`. */
  private closeLater(socket: Socket): void {
    socket.setTimeout(this.d.snapshotIdleMs, () => socket.destroy());
  }

  /** The transport closes: every source is aborted now, before the sockets are. */
  cancelAll(): void {
    for (const streams of this.serving.values()) for (const served of streams) served.cancel();
  }
}

/** The request header, checked: the `SnapshotRequest` and the stream's limits. Throws what is wrong. */
function parseChannelRequest(header: unknown): { request: SnapshotRequest; credit: number; maxChunkBytes: number } {
  if (typeof header !== "string") throw new Error("no snapshot request header");
  let asked: Partial<ChannelRequest>;
  try {
    asked = JSON.parse(header) as Partial<ChannelRequest>;
  } catch {
    throw new Error("the snapshot request header is not JSON");
  }
  const { credit, maxChunkBytes } = asked;
  if (!Number.isSafeInteger(credit) || (credit as number) < 1 || (credit as number) > MAX_CREDIT_CHUNKS || !Number.isSafeInteger(maxChunkBytes) || (maxChunkBytes as number) < MIN_CHUNK_BYTES) {
    throw new Error(`credit ${String(credit)} outside [1, ${MAX_CREDIT_CHUNKS}] or chunks under ${MIN_CHUNK_BYTES} bytes`);
  }
  return { request: parseSnapshotRequest(asked.request), credit: credit as number, maxChunkBytes: Math.min(maxChunkBytes as number, 2 ** 32 - 1) };
}

/** Reads CREDIT frames (anything else is a protocol violation: the socket is dropped); `grant` returning false drops it too. */
function readCredit(socket: Socket, grant: (chunks: number) => boolean): void {
  const head = Buffer.alloc(FRAME_HEAD_BYTES);
  let filled = 0;
  socket.on("data", (data: Buffer) => {
    for (let at = 0; at < data.length;) {
      const n = Math.min(FRAME_HEAD_BYTES - filled, data.length - at);
      data.copy(head, filled, at, at + n);
      filled += n;
      at += n;
      if (filled < FRAME_HEAD_BYTES) return;
      filled = 0;
      if (head[0] !== FRAME.credit || !grant(head.readUInt32BE(1))) {
        socket.destroy();
        return;
      }
    }
  });
}

/**
 * A served stream's frames on its channel socket. Bytes count as waiting
 * until their write's callback: over TLS, `writableLength` drops as soon as
 * the TLS layer takes them, and the stream would run a whole window ahead
 * into its buffers.
 */
function socketSink(socket: Socket, ended: () => void): StreamSink {
  let pending = 0;
  let drained: (() => void) | undefined;
  return {
    chunkHeadBytes: FRAME_HEAD_BYTES,
    sendChunk(buffer, data, sent) {
      if (socket.destroyed) return false;
      writeFrameHead(buffer, FRAME.data, data.length);
      buffer.set(data, FRAME_HEAD_BYTES);
      const length = FRAME_HEAD_BYTES + data.length;
      pending += length;
      socket.write(buffer.subarray(0, length), () => {
        pending -= length;
        sent();
        drained?.();
      });
      return true;
    },
    sendEnd: () => void socket.end(controlFrame(FRAME.end)),
    sendError: (code, message) => void socket.end(errorFrame(code, message)),
    whenBelow(bytes, signal) {
      if (socket.destroyed) return Promise.reject(new Error("the snapshot channel closed"));
      if (pending < bytes) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = (error?: unknown) => {
          drained = undefined;
          socket.off("close", onClose);
          signal.removeEventListener("abort", onAbort);
          if (error === undefined) resolve();
          else reject(error);
        };
        const onClose = () => done(new Error("the snapshot channel closed"));
        const onAbort = () => done(signal.reason);
        drained = () => {
          if (pending < bytes) done();
        };
        socket.once("close", onClose);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    },
    ended,
  };
}
