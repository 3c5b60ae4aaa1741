import type { RejectReason } from "./rejection.js";

/** Why an outgoing message was not sent. */
export type DropReason =
  /** The peer's queue was full: the oldest message made room. */
  | "queue-full"
  /** No connection to the peer and no address to dial. */
  | "no-route"
  /** One message larger than `maxFrameBytes`. */
  | "oversized"
  /** Sent after `close()`, or addressed to this node. */
  | "closed"
  /** Incoming: arrived before `start()` (or after `close()`). */
  | "not-started";

/** Counters for `/metrics`. Totals since `listen()`, except `connections`. */
export interface WsTransportStats {
  /** Connections open now (normally one per peer). */
  readonly connections: number;
  readonly dials: number;
  readonly dialFailures: number;
  /** Connections dropped because the peer went silent past `livenessTimeoutMs`. */
  readonly livenessTimeouts: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  /** Engine messages written to a socket. */
  readonly messagesSent: number;
  /** Engine messages handed to the engine. */
  readonly messagesReceived: number;
  readonly messagesDropped: number;
  readonly droppedByReason: Readonly<Partial<Record<DropReason, number>>>;
  /** Frames from accepted connections that were refused. */
  readonly rejectedFrames: number;
  /** Connections refused before any frame: TLS, HTTP, handshake. */
  readonly rejectedConnections: number;
  readonly rejectedByReason: Readonly<Partial<Record<RejectReason, number>>>;
  readonly snapshotStreamsServed: number;
  readonly snapshotBytesSent: number;
  readonly snapshotBytesReceived: number;
}

/** Counters bumped directly; drops and rejections go through `drop()` and `reject()` to keep their reasons. */
type CounterName = Exclude<keyof WsTransportStats, "connections" | "droppedByReason" | "rejectedByReason" | "messagesDropped" | "rejectedFrames" | "rejectedConnections">;

export class Counters {
  private readonly c: Record<CounterName | "messagesDropped" | "rejectedFrames" | "rejectedConnections", number> = {
    dials: 0,
    dialFailures: 0,
    livenessTimeouts: 0,
    framesSent: 0,
    framesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    messagesDropped: 0,
    rejectedFrames: 0,
    rejectedConnections: 0,
    snapshotStreamsServed: 0,
    snapshotBytesSent: 0,
    snapshotBytesReceived: 0,
  };
  private readonly drops: Partial<Record<DropReason, number>> = {};
  private readonly rejections: Partial<Record<RejectReason, number>> = {};

  add(counter: CounterName, n = 1): void {
    this.c[counter] += n;
  }

  drop(reason: DropReason, n = 1): void {
    if (n <= 0) return;
    this.c.messagesDropped += n;
    this.drops[reason] = (this.drops[reason] ?? 0) + n;
  }

  reject(kind: "frame" | "connection", reason: RejectReason): void {
    if (kind === "frame") this.c.rejectedFrames++;
    else this.c.rejectedConnections++;
    this.rejections[reason] = (this.rejections[reason] ?? 0) + 1;
  }

  snapshot(connections: number): WsTransportStats {
    return { connections, ...this.c, droppedByReason: { ...this.drops }, rejectedByReason: { ...this.rejections } };
  }
}
