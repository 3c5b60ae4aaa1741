import { Backoff, OutboundQueue, RaftError, type Message, type NodeId } from "@raft/core/contracts";
import { CLOSE, type PeerConnection } from "./connection.js";
import { messagesFrame } from "./envelope.js";
import type { Counters } from "./stats.js";

export interface LinkDeps {
  readonly self: NodeId;
  readonly maxFrameBytes: number;
  readonly queueCapacity: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly stats: Counters;
  /** Dials `address`; on success the connection has already been handed to `adopt`. */
  connect(peer: NodeId, address: string, signal: AbortSignal): Promise<PeerConnection>;
  onDialFailed(peer: NodeId, error: unknown): void;
  onOversized(message: Message): void;
}

/** Engine messages wait in the queue, not in the socket, once this many bytes are unwritten. */
const MESSAGE_HIGH_WATER_BYTES = 8 << 20;

interface Waiter {
  resolve(conn: PeerConnection): void;
  reject(error: Error): void;
}

/**
 * Everything about one peer: its address, its queue of outgoing messages
 * (the kit's `OutboundQueue`: when full, the oldest message goes),
 * and the connection that carries them — inbound or outbound, whichever
 * exists. Dials only when there is something to send or fetch, and after a
 * failure or a lost connection waits a jittered, doubling delay first, capped
 * low so a healed link is dialed again soon. Any sign of life from the peer
 * (a connection from it, a frame) starts that delay over and ends a wait.
 *
 * One connection per pair: if both nodes dialed at once, the connection
 * dialed by the lower node id wins on both sides (each side closes the other
 * with code 4000); between two connections dialed by the same node, the
 * newer wins (the dialer only redials once it saw the old one die).
 */
export class PeerLink {
  private readonly queue: OutboundQueue;
  private readonly connections = new Set<PeerConnection>();
  private active: PeerConnection | undefined;
  private dialing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  /** No dial before this (performance.now() time): the backoff's wait. */
  private notBefore = 0;
  /** When a sign of life last cut a wait short: such wake-ups are at least `reconnectMinMs` apart. */
  private lastWakeAt = -Infinity;
  private flushScheduled = false;
  private waitingForSocket = false;
  private readonly waiters = new Set<Waiter>();
  private readonly stop = new AbortController();

  constructor(
    readonly peer: NodeId,
    /** Where to dial; undefined for a peer known only by its inbound connections. */
    public address: string | undefined,
    private readonly d: LinkDeps,
  ) {
    this.queue = new OutboundQueue(d.queueCapacity);
    this.backoff = new Backoff({ minMs: d.reconnectMinMs, maxMs: d.reconnectMaxMs });
  }

  /** Every connection not yet closed, including ones closing. */
  get allConnections(): readonly PeerConnection[] {
    return [...this.connections];
  }

  get openConnections(): readonly PeerConnection[] {
    return [...this.connections].filter((c) => c.isOpen);
  }

  /** Nothing refers to this link any more: no address, connection, queue or waiter. */
  get idle(): boolean {
    return this.address === undefined && this.connections.size === 0 && this.queue.length === 0 && this.waiters.size === 0 && !this.dialing;
  }

  enqueue(message: Message): void {
    this.d.stats.drop("queue-full", this.queue.push(message));
  }

  /** After enqueueing: flush if connected, otherwise dial (respecting the backoff). */
  kick(): void {
    if (this.active !== undefined) return this.scheduleFlush();
    if (this.address === undefined) {
      this.d.stats.drop("no-route", this.queue.clear());
      return;
    }
    this.ensureDial();
  }

  /** The connection to use for a snapshot fetch; rejects with `Unavailable` when the next dial fails, `Aborted` on `signal`. */
  connection(signal: AbortSignal): Promise<PeerConnection> {
    if (this.active !== undefined) return Promise.resolve(this.active);
    if (this.address === undefined) return Promise.reject(new RaftError("Unavailable", `no connection to node ${this.peer} and no address to dial`));
    return new Promise<PeerConnection>((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(new RaftError("Aborted", `the fetch from node ${this.peer} was aborted while connecting`));
      };
      const waiter: Waiter = {
        resolve: (c) => {
          signal.removeEventListener("abort", onAbort);
          resolve(c);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
      this.ensureDial();
    });
  }

  /** An established connection to this peer (either direction): keep it, or close it if another one wins. */
  adopt(conn: PeerConnection): void {
    this.connections.add(conn);
    const current = this.active;
    if (current !== undefined && current.isOpen && !this.wins(conn, current)) {
      conn.close(CLOSE.superseded, "superseded by the connection dialed by the lower node id");
      return;
    }
    this.active = conn;
    if (current !== undefined && current !== conn) current.close(CLOSE.superseded, "superseded");
    this.backoff.reset();
    this.notBefore = 0;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const w of this.waiters) w.resolve(conn);
    this.waiters.clear();
    this.scheduleFlush();
  }

  /** A connection closed: fall back to another, or redial after the backoff if anything is waiting. */
  closed(conn: PeerConnection): void {
    this.connections.delete(conn);
    if (this.active !== conn) return;
    this.active = this.openConnections[0];
    if (this.active !== undefined) return this.scheduleFlush();
    this.backoff.reset();
    this.notBefore = performance.now() + this.backoff.next();
    if (this.queue.length > 0) this.ensureDial();
  }

  /**
   * A frame from the peer arrived: the backoff starts over, and a wait to
   * redial ends now. (A connection from the peer is adopted, which does the
   * same.) Such wake-ups are at least `reconnectMinMs` apart, so a peer heard
   * on a connection that is going away is not redialed in a tight loop.
   */
  heard(): void {
    this.backoff.reset();
    const now = performance.now();
    const at = Math.max(now, this.lastWakeAt + this.d.reconnectMinMs);
    if (at >= this.notBefore) return;
    this.lastWakeAt = at;
    this.notBefore = at;
    if (this.retryTimer === undefined) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.ensureDial();
  }

  /** Stops dialing and waiting; the transport terminates the connections. */
  shutdown(): void {
    this.stop.abort();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const error = new RaftError("Unavailable", "the transport is closed");
    for (const w of this.waiters) w.reject(error);
    this.waiters.clear();
    this.queue.clear();
  }

  private wins(candidate: PeerConnection, current: PeerConnection): boolean {
    if (candidate.dialedBy === current.dialedBy) return true;
    return candidate.dialedBy === Math.min(this.d.self, this.peer);
  }

  private ensureDial(): void {
    if (this.dialing || this.retryTimer !== undefined || this.active !== undefined || this.address === undefined || this.stop.signal.aborted) return;
    const wait = this.notBefore - performance.now();
    if (wait > 0) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (this.queue.length > 0 || this.waiters.size > 0) this.ensureDial();
      }, wait);
      this.retryTimer.unref();
      return;
    }
    this.dialing = true;
    this.d.stats.add("dials");
    this.d.connect(this.peer, this.address, this.stop.signal).then(
      () => {
        this.dialing = false;
      },
      (error: unknown) => {
        this.dialing = false;
        this.dialFailed(error);
      },
    );
  }

  private dialFailed(error: unknown): void {
    this.d.stats.add("dialFailures");
    if (this.stop.signal.aborted) return;
    this.d.onDialFailed(this.peer, error);
    this.notBefore = performance.now() + this.backoff.next();
    const reason = error instanceof RaftError ? error : new RaftError("Unavailable", `cannot connect to node ${this.peer}: ${String(error)}`);
    for (const w of this.waiters) w.reject(reason);
    this.waiters.clear();
    if (this.queue.length > 0) this.ensureDial();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.waitingForSocket) return;
    this.flushScheduled = true;
    // One turn of the event loop gathers everything sent meanwhile into as few frames as possible.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const conn = this.active;
    while (conn !== undefined && conn.isOpen && this.queue.length > 0) {
      if (conn.pendingBytes >= MESSAGE_HIGH_WATER_BYTES) {
        this.waitingForSocket = true;
        conn.whenBelow(MESSAGE_HIGH_WATER_BYTES).then(
          () => {
            this.waitingForSocket = false;
            this.scheduleFlush();
          },
          () => {
            this.waitingForSocket = false;
          },
        );
        return;
      }
      let taken;
      try {
        taken = this.queue.take(this.d.maxFrameBytes, messagesFrame);
      } catch {
        // Unencodable messages (not from a correct engine): lose them rather than the node.
        this.d.stats.drop("oversized", this.queue.clear());
        return;
      }
      if (taken === undefined) return;
      if ("oversized" in taken) {
        this.d.stats.drop("oversized");
        this.d.onOversized(taken.oversized);
        continue;
      }
      conn.send(taken.frame);
      this.d.stats.add("framesSent");
      this.d.stats.add("messagesSent", taken.count);
    }
  }
}
