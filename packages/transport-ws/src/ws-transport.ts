import { advertisedAddress, ChannelServer, fetchOverChannel, nodeToken, PeerAddresses, preferChannel, RaftError, RateLimitedLog, TransportLifecycle, usableAddresses } from "@raft/core/contracts";
import type { AddressBook, ChannelDial, FetchSnapshotOptions, Message, NodeId, SnapshotRequest, Transport, TransportHandlers } from "@raft/core/contracts";
import type { WebSocket } from "ws";
import { PeerConnection, type ConnectionHooks } from "./connection.js";
import { dial } from "./dialer.js";
import { fetchOverConnection } from "./fetch-snapshot.js";
import { FrameRouter } from "./frame-router.js";
import { Listener } from "./listener.js";
import { checkAccepted, dialHeaders, type LocalIdentity } from "./handshake.js";
import { resolveOptions, type ResolvedOptions, type WsTransportOptions } from "./options.js";
import { PeerLink } from "./peer-link.js";
import type { ConnectionRejectReason, FrameRejectReason, RejectReason } from "./rejection.js";
import { Counters, type WsTransportStats } from "./stats.js";

/** What the rate-limited log is keyed by: rejections by reason, other trouble by kind (dial failures by peer). */
type LogReason = RejectReason | "handler-error" | "oversized-outgoing" | `dial:${number}`;

const CONNECTION_REASONS: ReadonlySet<string> = new Set<ConnectionRejectReason>([
  "not-websocket",
  "bad-http",
  "tls",
  "protocol",
  "missing-token",
  "wrong-token",
  "certificate-mismatch",
  "wrong-cluster",
  "bad-node-id",
  "unknown-peer",
  "wrong-target",
]);

function logMessage(reason: LogReason): string {
  if (reason.startsWith("dial:")) return "ws transport: cannot reach a peer";
  if (reason === "handler-error") return "ws transport: a message handler threw";
  if (reason === "oversized-outgoing") return "ws transport: dropped a message larger than maxFrameBytes";
  return CONNECTION_REASONS.has(reason) ? "ws transport: refused a connection" : "ws transport: rejected a frame";
}

/** One open connection, for diagnostics. */
export interface ConnectionInfo {
  readonly peer: NodeId;
  /** The node that dialed it. */
  readonly dialedBy: NodeId;
  /** The other end's `host:port`. */
  readonly remote: string;
}

/**
 * The `Transport` port over WebSocket (`ws`): one connection per peer pair
 * carries engine messages (batched binary frames) and snapshot streams
 * (credit-based flow control), with TLS, peer authentication on upgrade,
 * ping/pong liveness and reconnection with a jittered backoff capped low
 * and reset by any sign of life from the peer.
 *
 * ```ts
 * const transport = await WsTransport.listen({ id: 1, clusterId: "bank", listen: { host: "0.0.0.0", port: 7001 }, peers: { 2: "10.0.0.2:7001" } });
 * const node = new RaftNode({ id: 1, voters: [1, 2, 3], transport, ... });
 * ```
 */
export class WsTransport implements Transport {
  private readonly counters = new Counters();
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly addresses: PeerAddresses;
  /** Who this node is, as a dialer tells its peers. */
  private local: LocalIdentity;
  private readonly rejections: RateLimitedLog<LogReason>;
  private readonly router: FrameRouter;
  private listener: Listener | undefined;
  private readonly lifecycle = new TransportLifecycle();
  /** Aborted by `close()`: ends the fetches running over snapshot channels with `Unavailable`. */
  private readonly closing = new AbortController();
  private readonly channels: ChannelServer;

  private constructor(private readonly o: ResolvedOptions) {
    this.addresses = new PeerAddresses(o.peers, o.dialVia);
    this.local = { id: o.id, clusterId: o.clusterId, token: o.secret === undefined ? undefined : nodeToken(o.secret, o.clusterId, o.id) };
    this.rejections = new RateLimitedLog<LogReason>(o.logger, (reason) => ({ message: logMessage(reason), level: "warn" }), o.rejectionLogIntervalMs);
    this.router = new FrameRouter({
      self: o.id,
      maxFrameBytes: o.maxFrameBytes,
      snapshotIdleMs: o.deadlines.snapshotIdleMs,
      stats: this.counters,
      handlers: () => this.lifecycle.handlers,
      reject: (conn, reason, detail) => this.rejectFrame(conn, reason, detail),
      onHandlerError: (e) => this.rejections.record("handler-error", { error: e instanceof Error ? e.message : String(e) }),
    });
    this.channels = new ChannelServer({
      snapshotIdleMs: o.deadlines.snapshotIdleMs,
      maxFrameBytes: o.maxFrameBytes,
      handlers: () => (this.lifecycle.closed ? undefined : this.lifecycle.handlers),
      onServed: () => this.counters.add("snapshotStreamsServed"),
      onChunkSent: (bytes) => this.counters.add("snapshotBytesSent", bytes),
      reject: (peer, reason, detail) => {
        this.counters.reject("frame", reason);
        this.rejections.record(reason, { peer, detail });
      },
    });
  }

  /** Validates `options` (`InvalidConfig` naming the field) and starts accepting connections; messages are dropped until `start()`. */
  static async listen(options: WsTransportOptions): Promise<WsTransport> {
    const t = new WsTransport(resolveOptions(options));
    t.listener = await Listener.open(t.o, {
      onAccepted: (ws, peer, remote, advertised) => {
        try {
          t.register(ws, peer, peer, remote);
          if (advertised !== undefined && t.addresses.learn(peer, advertised)) t.readdress(peer);
        } catch {
          // Accepted while closing: register() already dropped it.
        }
      },
      onRefused: (reason, detail, remote) => t.refuseConnection(reason, detail, remote),
      onSnapshotChannel: (socket, peer, request) => t.channels.serve(socket, peer, request),
      isKnownPeer: (id) => t.addresses.isKnown(id),
    });
    t.local = { ...t.local, advertise: advertisedAddress(t.o.advertise, t.o.listen.host, t.listener.port) };
    return t;
  }

  /** The bound `host:port` (the real port when `listen.port` was 0). */
  get address(): string {
    return (this.listener as Listener).address;
  }

  get id(): NodeId {
    return this.o.id;
  }

  async start(handlers: TransportHandlers): Promise<void> {
    this.lifecycle.start(handlers);
  }

  send(messages: readonly Message[]): void {
    if (this.lifecycle.closed) return this.counters.drop("closed", messages.length);
    const touched = new Set<PeerLink>();
    for (const m of messages) {
      if (m.to === this.o.id) {
        this.counters.drop("closed");
        continue;
      }
      const link = this.link(m.to);
      link.enqueue(m);
      touched.add(link);
    }
    for (const link of touched) {
      link.kick();
      if (link.idle) this.links.delete(link.peer);
    }
  }

  /**
   * Over a snapshot channel of its own to the peer's address (see
   * the transport kit's snapshot-channel/protocol.ts), or, when the peer has no address here, has
   * `snapshotChannel` off or predates it, over a connection to it.
   */
  fetchSnapshot(peer: NodeId, request: SnapshotRequest, signal: AbortSignal, options: FetchSnapshotOptions = {}): AsyncIterable<Uint8Array> {
    const settings = {
      reuseBuffers: options.reuseBuffers === true,
      windowChunks: this.o.snapshotWindowChunks,
      maxFrameBytes: this.o.maxFrameBytes,
      idleMs: this.o.deadlines.snapshotIdleMs,
      onChunk: (bytes: number) => this.counters.add("snapshotBytesReceived", bytes),
    };
    const overConnection = () => {
      const connect = (s: AbortSignal) => (this.lifecycle.closed ? Promise.reject(new RaftError("Unavailable", "the transport is closed")) : this.link(peer).connection(s));
      return fetchOverConnection(connect, request, signal, settings);
    };
    const address = this.o.snapshotChannel && !this.lifecycle.closed ? this.link(peer).address : undefined;
    if (address === undefined) return overConnection();
    const channel: ChannelDial = {
      peer,
      address,
      tls: this.o.tls,
      connectMs: this.o.deadlines.connectMs,
      headers: dialHeaders(this.local, peer),
      checkAccepted: (headers) => checkAccepted(headers, this.local, peer),
    };
    const overChannel = () => fetchOverChannel(channel, request, signal, this.closing.signal, settings);
    return preferChannel(overChannel, overConnection, (reason) => this.o.logger.info("ws transport: fetching a snapshot over the peer connection", { peer, reason }));
  }

  /** Merges `addresses` into the address book: they win over configured ones; nodes absent here keep theirs. Invalid entries are logged and skipped. */
  updatePeers(addresses: AddressBook): void {
    for (const id of this.addresses.update(usableAddresses(addresses, this.o.id, this.o.logger, "ws transport"))) this.readdress(id);
  }

  /** Stops accepting, drops every connection, fails fetches in progress with `Unavailable`; handlers are never called after this resolves. */
  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    this.closing.abort(new RaftError("Unavailable", "the transport is closed"));
    this.channels.cancelAll();
    for (const link of this.links.values()) {
      link.shutdown();
      for (const conn of link.allConnections) {
        this.endStreams(conn);
        conn.terminate();
      }
    }
    await this.listener?.close();
  }

  stats(): WsTransportStats {
    let open = 0;
    for (const link of this.links.values()) open += link.openConnections.length;
    return this.counters.snapshot(open);
  }

  connections(): ConnectionInfo[] {
    return [...this.links.values()].flatMap((l) => l.openConnections.map((c) => ({ peer: c.peer, dialedBy: c.dialedBy, remote: c.remote })));
  }

  /** A peer's address changed: its next dial goes there (a connection already open stays). */
  private readdress(peer: NodeId): void {
    const link = this.links.get(peer);
    if (link !== undefined) link.address = this.addresses.get(peer);
  }

  private link(peer: NodeId): PeerLink {
    let link = this.links.get(peer);
    if (link === undefined) {
      link = new PeerLink(peer, this.addresses.get(peer), {
        self: this.o.id,
        maxFrameBytes: this.o.maxFrameBytes,
        queueCapacity: this.o.maxQueuedMessages,
        reconnectMinMs: this.o.reconnect.minDelayMs,
        reconnectMaxMs: this.o.reconnect.maxDelayMs,
        stats: this.counters,
        connect: (id, address, signal) => dial(id, address, this.local, this.o, signal, (ws) => this.register(ws, id, this.o.id, address)),
        onDialFailed: (id, error) => this.rejections.record(`dial:${id}`, { peer: id, error: error instanceof Error ? error.message : String(error) }),
        onOversized: (m) => this.rejections.record("oversized-outgoing", { peer: m.to, type: m.type, maxFrameBytes: this.o.maxFrameBytes }),
      });
      this.links.set(peer, link);
    }
    return link;
  }

  /** An authenticated WebSocket, either direction: wrap it and hand it to the peer's link. */
  private register(ws: WebSocket, peer: NodeId, dialedBy: NodeId, remote: string): PeerConnection {
    const conn = new PeerConnection(ws, peer, dialedBy, remote, this.o, this.hooks);
    if (this.lifecycle.closed) {
      conn.terminate();
      throw new RaftError("Unavailable", "the transport is closed");
    }
    this.o.logger.debug("ws transport: connected", { peer, dialedBy, remote });
    this.link(peer).adopt(conn);
    return conn;
  }

  private readonly hooks: ConnectionHooks = {
    onFrame: (conn, data) => {
      // A sign of life: should the link be waiting to redial, it stops waiting.
      this.links.get(conn.peer)?.heard();
      this.router.route(conn, data);
    },
    onTextFrame: (conn) => this.rejectFrame(conn, "text-frame", "a text message"),
    onProtocolError: (conn, error) => this.rejectFrame(conn, error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? "oversized-frame" : "ws-protocol", error.message),
    onLivenessTimeout: (conn) => {
      this.counters.add("livenessTimeouts");
      this.o.logger.info("ws transport: peer went silent; dropping the connection", { peer: conn.peer, remote: conn.remote, livenessTimeoutMs: this.o.livenessTimeoutMs });
    },
    onClosed: (conn) => {
      this.endStreams(conn);
      this.o.logger.debug("ws transport: connection closed", { peer: conn.peer, remote: conn.remote });
      const link = this.links.get(conn.peer);
      link?.closed(conn);
      if (link?.idle === true) this.links.delete(conn.peer);
    },
  };

  /** Fails this node's fetches on `conn` with `Unavailable` and aborts what it serves there. */
  private endStreams(conn: PeerConnection): void {
    const lost = conn.lostError();
    for (const fetch of conn.fetches.values()) fetch.fail(lost);
    for (const served of conn.served.values()) served.cancel();
  }

  private rejectFrame(conn: PeerConnection, reason: FrameRejectReason, detail: string): void {
    this.counters.reject("frame", reason);
    this.rejections.record(reason, { peer: conn.peer, remote: conn.remote, detail });
  }

  private refuseConnection(reason: ConnectionRejectReason, detail: string, remote: string): void {
    this.counters.reject("connection", reason);
    this.rejections.record(reason, { remote, detail });
  }
}
