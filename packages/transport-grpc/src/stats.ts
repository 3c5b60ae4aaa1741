/** Counters of one transport, for metrics. All start at zero and only grow. */
export interface GrpcTransportStats {
  /** Frames refused on accepted streams: malformed, invalid, misaddressed or oversized. */
  readonly rejectedFrames: number;
  /** Calls refused at the handshake: wrong cluster, bad token or certificate, unknown or wrong node. */
  readonly rejectedCalls: number;
  /** Every rejection (frames, calls, snapshot requests) by reason. */
  readonly rejections: Readonly<Record<string, number>>;
  /** This node's calls that peers refused or that failed to connect, by reason. */
  readonly refusals: Readonly<Record<string, number>>;
  readonly messagesSent: number;
  readonly framesSent: number;
  readonly messagesReceived: number;
  readonly framesReceived: number;
  /** Messages not sent because the peer's queue was full. */
  readonly droppedQueueFull: number;
  /** Messages not sent because no address is known for their node. */
  readonly droppedNoAddress: number;
  /** Messages not sent because one alone exceeds `maxFrameBytes`. */
  readonly droppedOversized: number;
  /** Messages received before `start()` (or after `close()`), dropped. */
  readonly droppedNotStarted: number;
  /** Outbound message streams that ended with an error (each is retried after a backoff). */
  readonly streamFailures: number;
  readonly snapshotBytesSent: number;
  readonly snapshotBytesReceived: number;
}

export type MutableStats = { -readonly [K in keyof GrpcTransportStats]: GrpcTransportStats[K] };

export function emptyStats(): MutableStats {
  return {
    rejectedFrames: 0,
    rejectedCalls: 0,
    rejections: {},
    refusals: {},
    messagesSent: 0,
    framesSent: 0,
    messagesReceived: 0,
    framesReceived: 0,
    droppedQueueFull: 0,
    droppedNoAddress: 0,
    droppedOversized: 0,
    droppedNotStarted: 0,
    streamFailures: 0,
    snapshotBytesSent: 0,
    snapshotBytesReceived: 0,
  };
}
