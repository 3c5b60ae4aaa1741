import { RaftError, type IncomingSnapshot, type NodeId, type ServedSnapshot } from "@raft/core/contracts";
import type { RawData, WebSocket } from "ws";
import { RecentIds } from "./recent-ids.js";

export interface ConnectionHooks {
  /** A binary message, as a plain `Uint8Array` view (no copy). */
  onFrame(conn: PeerConnection, data: Uint8Array): void;
  onTextFrame(conn: PeerConnection): void;
  /** ws found a protocol violation (oversized message, bad opcode, ...) and is closing the connection. */
  onProtocolError(conn: PeerConnection, error: Error & { code?: string }): void;
  onLivenessTimeout(conn: PeerConnection): void;
  onClosed(conn: PeerConnection): void;
}

export interface ConnectionTimings {
  readonly pingIntervalMs: number;
  readonly livenessTimeoutMs: number;
}

interface WritableWaiter {
  readonly limit: number;
  resolve(): void;
  reject(error: Error): void;
}

/** Close codes this transport uses (4000–4999 are for applications). */
export const CLOSE = {
  /** `close()` of the transport. */
  goingAway: 1001,
  /** A second connection between the same pair won the tie-break. */
  superseded: 4000,
} as const;

/**
 * One established WebSocket to an authenticated peer: writes with byte
 * accounting (so senders can wait for the socket instead of piling frames
 * into memory), ping/pong liveness, and the snapshot streams it carries.
 */
export class PeerConnection {
  /** Snapshots this node is reading from the peer, by this node's stream id. */
  readonly fetches = new Map<number, IncomingSnapshot>();
  /** Snapshots this node is serving to the peer, by the peer's stream id. */
  readonly served = new Map<number, ServedSnapshot>();
  /** Stream ids start at 1 and only grow: a request may not reuse one. */
  nextFetchId = 1;
  highestServedId = 0;
  /** Streams that ended here recently, whose late frames are dropped without complaint. */
  readonly endedFetches = new RecentIds();
  readonly endedServed = new RecentIds();

  private pending = 0;
  private waiters: WritableWaiter[] = [];
  private lastHeard = performance.now();
  private readonly pinger: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly ws: WebSocket,
    /** The authenticated node at the other end. */
    readonly peer: NodeId,
    /** Who dialed: decides which connection wins when both nodes dialed. */
    readonly dialedBy: NodeId,
    /** `ip:port` of the other end, for logs. */
    readonly remote: string,
    timings: ConnectionTimings,
    private readonly hooks: ConnectionHooks,
  ) {
    const heard = () => {
      this.lastHeard = performance.now();
    };
    ws.on("message", (data: RawData, isBinary: boolean) => {
      heard();
      if (!isBinary) return hooks.onTextFrame(this);
      const buf = data as Buffer;
      hooks.onFrame(this, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    });
    ws.on("ping", heard);
    ws.on("pong", heard);
    ws.on("error", (error: Error & { code?: string }) => {
      if (!this.closing) hooks.onProtocolError(this, error);
    });
    ws.on("close", () => this.closed());
    this.pinger = setInterval(() => this.checkLiveness(timings.livenessTimeoutMs), timings.pingIntervalMs);
    this.pinger.unref();
  }

  /** False once closing: the link must not pick this connection any more. */
  get isOpen(): boolean {
    return !this.closing && this.ws.readyState === this.ws.OPEN;
  }

  /** Bytes handed to the socket and not yet written out. */
  get pendingBytes(): number {
    return this.pending;
  }

  /**
   * Sends one frame. Never throws: a frame sent on a closing connection is
   * lost, as on a broken one. `written` runs once the socket is done with
   * `frame` (written out or failed), so its buffer may be reused.
   */
  send(frame: Buffer, written?: () => void): boolean {
    if (!this.isOpen) return false;
    this.pending += frame.length;
    this.ws.send(frame, { binary: true, compress: false }, () => {
      this.pending -= frame.length;
      written?.();
      this.wakeWriters();
    });
    return true;
  }

  /**
   * Resolves once fewer than `limit` bytes wait for the socket; rejects with
   * `Unavailable` if the connection closes first, or with `signal`'s reason.
   */
  whenBelow(limit: number, signal?: AbortSignal): Promise<void> {
    if (this.pending < limit) return Promise.resolve();
    if (!this.isOpen) return Promise.reject(this.lostError());
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      const waiter: WritableWaiter = {
        limit,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (e) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** A graceful close: frames already sent still arrive. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.ws.close(code, reason);
    // A peer that never answers the closing handshake must not hold the socket.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  /** Drops the socket at once. */
  terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }

  lostError(): RaftError {
    return new RaftError("Unavailable", `the connection to node ${this.peer} (${this.remote}) closed`);
  }

  private checkLiveness(timeoutMs: number): void {
    if (performance.now() - this.lastHeard >= timeoutMs) {
      this.hooks.onLivenessTimeout(this);
      this.terminate();
      return;
    }
    if (this.isOpen) this.ws.ping();
  }

  private wakeWriters(): void {
    if (this.waiters.length === 0) return;
    const still: WritableWaiter[] = [];
    for (const w of this.waiters) {
      if (this.pending < w.limit) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  private closed(): void {
    this.closing = true;
    clearInterval(this.pinger);
    const error = this.lostError();
    for (const w of this.waiters) w.reject(error);
    this.waiters = [];
    this.hooks.onClosed(this);
  }
}
