import {
  decodeMessages,
  MAX_SERVED_STREAMS_PER_PEER,
  MIN_CHUNK_BYTES,
  parseSnapshotRequest,
  peerError,
  RaftError,
  ServedSnapshot,
  SNAPSHOT_HIGH_WATER_BYTES,
  type Message,
  type NodeId,
  type RaftErrorCode,
  type StreamSink,
  type TransportHandlers,
} from "@raft/core/contracts";
import type { PeerConnection } from "./connection.js";
import { CHUNK_HEAD_BYTES, chunkFrameInto, decodeFrame, endFrame, errorFrame, type Frame } from "./envelope.js";
import { MAX_WINDOW_CHUNKS } from "./options.js";
import { Rejection, type FrameRejectReason } from "./rejection.js";
import type { Counters } from "./stats.js";

export interface RouterDeps {
  readonly self: NodeId;
  readonly maxFrameBytes: number;
  readonly snapshotIdleMs: number;
  readonly stats: Counters;
  /** Undefined before `start()` and after `close()`. */
  handlers(): TransportHandlers | undefined;
  reject(conn: PeerConnection, reason: FrameRejectReason, detail: string): void;
  onHandlerError(error: unknown): void;
}

/**
 * Decodes, validates and dispatches every frame from an accepted
 * connection. Nothing reaches the engine unless the whole frame decodes and
 * each message is from the connection's authenticated peer to this node; any
 * other frame is rejected (counted and logged by `deps.reject`) and dropped.
 */
export class FrameRouter {
  constructor(private readonly d: RouterDeps) {}

  route(conn: PeerConnection, bytes: Uint8Array): void {
    this.d.stats.add("framesReceived");
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (e) {
      const r = e instanceof Rejection ? e : new Rejection("malformed-frame", String(e));
      return this.d.reject(conn, r.reason, r.message);
    }
    switch (frame.kind) {
      case "messages":
        return this.messages(conn, frame.body);
      case "snapshot-request":
        return this.request(conn, frame);
      case "snapshot-credit":
      case "snapshot-cancel":
        return this.toServed(conn, frame);
      case "snapshot-chunk":
      case "snapshot-end":
      case "snapshot-error":
        return this.toFetch(conn, frame);
    }
  }

  private messages(conn: PeerConnection, body: Uint8Array): void {
    let messages: Message[];
    try {
      messages = decodeMessages(body);
    } catch (e) {
      return this.d.reject(conn, "invalid-message", e instanceof Error ? e.message : String(e));
    }
    for (const m of messages) {
      if (m.from !== conn.peer) return this.d.reject(conn, "wrong-sender", `a ${m.type} from node ${m.from} on node ${conn.peer}'s connection`);
      if (m.to !== this.d.self) return this.d.reject(conn, "wrong-recipient", `a ${m.type} for node ${m.to}`);
    }
    const handlers = this.d.handlers();
    if (handlers === undefined) return this.d.stats.drop("not-started", messages.length);
    this.d.stats.add("messagesReceived", messages.length);
    for (const m of messages) {
      try {
        handlers.onMessage(m);
      } catch (e) {
        this.d.onHandlerError(e);
      }
    }
  }

  private request(conn: PeerConnection, f: Extract<Frame, { kind: "snapshot-request" }>): void {
    if (f.stream <= conn.highestServedId) return this.d.reject(conn, "duplicate-stream", `stream ${f.stream} was already used`);
    conn.highestServedId = f.stream;
    const refuse = (code: RaftErrorCode, message: string) => {
      conn.endedServed.add(f.stream);
      conn.send(errorFrame(f.stream, code, message));
    };
    if (f.credit < 1 || f.credit > MAX_WINDOW_CHUNKS || f.maxChunkBytes < MIN_CHUNK_BYTES) {
      this.d.reject(conn, "bad-snapshot-request", `credit ${f.credit} outside [1, ${MAX_WINDOW_CHUNKS}] or chunks under ${MIN_CHUNK_BYTES} bytes`);
      return refuse("InvalidMessage", "credit or chunk limit out of range");
    }
    let request;
    try {
      request = parseSnapshotRequest(f.request);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.d.reject(conn, "bad-snapshot-request", message);
      return refuse("InvalidMessage", message);
    }
    const handlers = this.d.handlers();
    if (handlers === undefined) return refuse("Unavailable", `node ${this.d.self} is not serving yet`);
    if (conn.served.size >= MAX_SERVED_STREAMS_PER_PEER) return refuse("Busy", `already serving ${conn.served.size} streams on this connection`);
    const served = new ServedSnapshot(connectionSink(conn, f.stream), f.credit, {
      maxChunkBytes: Math.min(f.maxChunkBytes, this.d.maxFrameBytes - CHUNK_HEAD_BYTES),
      socketHighWaterBytes: SNAPSHOT_HIGH_WATER_BYTES,
      idleMs: this.d.snapshotIdleMs,
      onChunkSent: (bytes) => this.d.stats.add("snapshotBytesSent", bytes),
    });
    conn.served.set(f.stream, served);
    this.d.stats.add("snapshotStreamsServed");
    void served.run((signal) => handlers.onSnapshotRequest(conn.peer, request, signal));
  }

  private toServed(conn: PeerConnection, f: Extract<Frame, { kind: "snapshot-credit" | "snapshot-cancel" }>): void {
    const served = conn.served.get(f.stream);
    if (served === undefined) {
      // A stream that just ended: the reader's frame crossed our END or ERROR on the wire.
      if (conn.endedServed.has(f.stream)) return;
      return this.d.reject(conn, "unknown-stream", `${f.kind} for stream ${f.stream}, which is not being served`);
    }
    if (f.kind === "snapshot-cancel") return served.cancel();
    if (!served.grant(f.credit)) {
      this.d.reject(conn, "credit-exceeded", `credit ${f.credit}: zero, or beyond ${MAX_WINDOW_CHUNKS} chunks in all`);
      served.cancel();
      conn.send(errorFrame(f.stream, "InvalidMessage", "credit beyond the largest window"));
    }
  }

  private toFetch(conn: PeerConnection, f: Extract<Frame, { kind: "snapshot-chunk" | "snapshot-end" | "snapshot-error" }>): void {
    const fetch = conn.fetches.get(f.stream);
    if (fetch === undefined) {
      // A stream this node stopped reading: the server's frames were already on the wire.
      if (conn.endedFetches.has(f.stream)) return;
      return this.d.reject(conn, "unknown-stream", `${f.kind} for stream ${f.stream}, which is not being read`);
    }
    switch (f.kind) {
      case "snapshot-chunk":
        if (fetch.push(f.data)) return;
        this.d.reject(conn, "credit-exceeded", `a chunk beyond the credit granted to stream ${f.stream}`);
        return fetch.fail(new RaftError("InvalidMessage", `node ${conn.peer} sent snapshot chunks beyond the credit granted`));
      case "snapshot-end":
        return fetch.end();
      case "snapshot-error":
        return fetch.serverFailed(peerError(conn.peer, f.code, f.message));
    }
  }
}

/** A served stream's frames on the peer connection, beside engine messages. */
function connectionSink(conn: PeerConnection, stream: number): StreamSink {
  return {
    chunkHeadBytes: CHUNK_HEAD_BYTES,
    sendChunk: (buffer, data, sent) => conn.send(chunkFrameInto(buffer, stream, data), sent),
    sendEnd: () => void conn.send(endFrame(stream)),
    sendError: (code, message) => void conn.send(errorFrame(stream, code, message)),
    whenBelow: (bytes, signal) => conn.whenBelow(bytes, signal),
    ended: () => {
      conn.served.delete(stream);
      conn.endedServed.add(stream);
    },
  };
}
