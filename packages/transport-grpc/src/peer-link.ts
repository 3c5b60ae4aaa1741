import { Client, status, type ChannelCredentials, type ChannelOptions, type ClientWritableStream, type Metadata, type ServiceError } from "@grpc/grpc-js";
import { Backoff, encodeMessages, OutboundQueue, type Message, type NodeId, type RateLimitedLog } from "@raft/core/contracts";
import { checkServer } from "./handshake.js";
import type { DropReason, RefusalReason } from "./rejections.js";
import { encodeFrame, messagesMethod } from "./service-definition.js";
import type { MutableStats } from "./stats.js";

export interface LinkContext {
  readonly self: NodeId;
  readonly clusterId: string;
  readonly credentials: ChannelCredentials;
  readonly channelOptions: ChannelOptions;
  readonly maxQueuedMessages: number;
  readonly maxFrameBytes: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly connectTimeoutMs: number;
  /** Fresh call metadata for a call to `peer`. */
  metadataFor(peer: NodeId): Metadata;
  readonly stats: MutableStats;
  readonly refusals: RateLimitedLog<RefusalReason>;
  readonly drops: RateLimitedLog<DropReason>;
}

/**
 * Statuses that mean the peer itself said no, as opposed to the network
 * failing: a refused handshake, a peer that is no Raft node, or a frame over
 * the peer's size limit (its `maxFrameBytes` is smaller than this node's).
 */
const frameOf = (batch: readonly Message[]): Buffer => encodeFrame(encodeMessages(batch));

const REFUSED = new Set<status>([status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.UNIMPLEMENTED, status.RESOURCE_EXHAUSTED]);

/**
 * This node's outgoing messages to one peer: a bounded queue (the kit's
 * `OutboundQueue`: when full, the oldest message goes), and one
 * long-lived client-streaming `Messages` call that carries them in frames, in
 * order. A call that breaks (or is refused, or not accepted within the
 * connect deadline) is reopened after a jittered exponential backoff with a
 * low cap; what was written into a broken call is lost, which Raft tolerates.
 *
 * That backoff is the only one. grpc-js channels reconnect on their own, with
 * a backoff of their own that keeps growing while a peer is away and that
 * fails calls at once in the meantime, so a healed link would wait for both.
 * Instead each attempt after a failure gets a fresh channel (with its own
 * subchannel pool): it dials at once, and the old one, closed, stops retrying.
 * Any sign of life from the peer (`heardFrom`) starts the backoff over and
 * ends a wait for the next attempt.
 */
export class PeerLink {
  private readonly queue: OutboundQueue;
  private readonly backoff: Backoff;
  private client: Client | undefined;
  private call: ClientWritableStream<Buffer> | undefined;
  /** The peer sent its metadata and it names the node and cluster expected. */
  private accepted = false;
  /** The call's buffer is full: wait for 'drain'. */
  private blocked = false;
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** When the pending retry fires (performance.now() time). */
  private retryAt = Infinity;
  /** When a sign of life last cut a wait short: such wake-ups are at least `reconnectMinMs` apart. */
  private lastWakeAt = -Infinity;
  private connectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly peer: NodeId,
    private address: string,
    private readonly ctx: LinkContext,
  ) {
    this.queue = new OutboundQueue(ctx.maxQueuedMessages);
    this.backoff = new Backoff({ minMs: ctx.reconnectMinMs, maxMs: ctx.reconnectMaxMs });
  }

  /** Queues messages and schedules a flush on the next turn, so one turn's messages share frames. */
  enqueue(messages: readonly Message[]): void {
    if (this.closed) return;
    for (const m of messages) this.ctx.stats.droppedQueueFull += this.queue.push(m);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** A new address for the peer: the old connection goes, the next one dials the new address at once. */
  setAddress(address: string): void {
    if (address === this.address || this.closed) return;
    this.address = address;
    this.teardown();
    this.backoff.reset();
    this.cancelRetry();
    this.flush();
  }

  /**
   * The peer showed signs of life: a call or a frame from it reached this
   * node, or it answered a call. The backoff starts over, and if this link is
   * waiting to redial it redials now. Such wake-ups are at least
   * `reconnectMinMs` apart, so a peer that reaches this node while this node
   * cannot reach it (a one-way partition) is redialed about every
   * `reconnectMinMs`, not in a tight loop.
   */
  heardFrom(): void {
    if (this.closed) return;
    this.backoff.reset();
    if (this.retryTimer === undefined) return;
    const now = performance.now();
    const at = Math.max(now, this.lastWakeAt + this.ctx.reconnectMinMs);
    if (at >= this.retryAt) return;
    this.lastWakeAt = at;
    this.cancelRetry();
    if (at <= now) this.flush();
    else this.retryIn(at - now);
  }

  close(): void {
    this.closed = true;
    this.cancelRetry();
    this.teardown();
    this.queue.clear();
  }

  private flush(): void {
    if (this.closed || this.retryTimer !== undefined || this.queue.length === 0) return;
    const call = this.call ?? this.open();
    while (!this.blocked) {
      const next = this.queue.take(this.ctx.maxFrameBytes, frameOf);
      if (next === undefined) return;
      if ("oversized" in next) {
        this.ctx.stats.droppedOversized++;
        this.ctx.drops.record("message too large", { peer: this.peer, type: next.oversized.type, bytes: next.bytes, maxFrameBytes: this.ctx.maxFrameBytes });
        continue;
      }
      this.ctx.stats.framesSent++;
      this.ctx.stats.messagesSent += next.count;
      if (!call.write(next.frame)) this.blocked = true;
    }
  }

  private open(): ClientWritableStream<Buffer> {
    this.client ??= new Client(this.address, this.ctx.credentials, this.ctx.channelOptions);
    const m = messagesMethod;
    const call = this.client.makeClientStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, this.ctx.metadataFor(this.peer), {}, (error) => this.ended(call, error));
    this.call = call;
    this.accepted = false;
    this.blocked = false;
    call.on("metadata", (md: Metadata) => {
      if (call !== this.call) return;
      const mismatch = checkServer(md, this.ctx.clusterId, this.peer);
      if (mismatch !== undefined) {
        this.ctx.refusals.record("peer identity mismatch", { peer: this.peer, address: this.address, detail: mismatch });
        call.cancel();
        return;
      }
      this.accepted = true;
      this.backoff.reset();
      this.clearConnectTimer();
    });
    call.on("drain", () => {
      if (call !== this.call) return;
      this.blocked = false;
      this.flush();
    });
    // Failures arrive through the callback; an 'error' event must not go unhandled.
    call.on("error", () => {});
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      if (call === this.call && !this.accepted) call.cancel();
    }, this.ctx.connectTimeoutMs);
    this.connectTimer.unref();
    return call;
  }

  /** The call ended: note why, and reopen after a backoff if there is something to send. */
  private ended(call: ClientWritableStream<Buffer>, error: ServiceError | null): void {
    if (call !== this.call) return;
    const wasAccepted = this.accepted;
    this.call = undefined;
    this.accepted = false;
    this.blocked = false;
    this.clearConnectTimer();
    if (this.closed) return;
    this.ctx.stats.streamFailures++;
    if (error !== null && REFUSED.has(error.code)) {
      this.ctx.refusals.record("refused by peer", { peer: this.peer, address: this.address, status: status[error.code], detail: error.details });
    } else {
      const reason = wasAccepted ? "stream broken" : "peer unreachable";
      this.ctx.refusals.record(reason, { peer: this.peer, address: this.address, status: error === null ? "OK" : status[error.code], detail: error?.details });
    }
    // The next attempt dials on a fresh channel: this one would wait out grpc-js's own backoff first.
    this.client?.close();
    this.client = undefined;
    this.retryIn(this.backoff.next());
  }

  private retryIn(delay: number): void {
    this.retryAt = performance.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryAt = Infinity;
      this.flush();
    }, delay);
    this.retryTimer.unref();
  }

  private teardown(): void {
    this.clearConnectTimer();
    const call = this.call;
    this.call = undefined;
    this.accepted = false;
    this.blocked = false;
    call?.cancel();
    this.client?.close();
    this.client = undefined;
  }

  private cancelRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAt = Infinity;
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }
}
