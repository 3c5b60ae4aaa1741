import { Server, type ChannelOptions, type Metadata } from "@grpc/grpc-js";
import {
  advertisedAddress,
  ChannelServer,
  fetchOverChannel,
  formatAddress,
  nodeToken,
  PeerAddresses,
  preferChannel,
  RaftError,
  RateLimitedLog,
  refusalResponse,
  TransportLifecycle,
  usableAddresses,
} from "@raft/core/contracts";
import type { AddressBook, ChannelDial, FetchSettings, FetchSnapshotOptions, Message, NodeId, SnapshotRequest, Transport, TransportHandlers } from "@raft/core/contracts";
import { channelCredentials, tlsChannelOptions } from "./credentials.js";
import { callerMetadata, type HandshakePolicy } from "./handshake.js";
import { Listener } from "./listener.js";
import { messagesHandler } from "./messages-service.js";
import { resolveOptions, type GrpcTransportOptions, type ResolvedOptions } from "./options.js";
import { observeOversizedFrames } from "./oversized-observer.js";
import { PeerLink, type LinkContext } from "./peer-link.js";
import type { DropReason, RefusalReason, RejectionReason } from "./rejections.js";
import type { ServerContext } from "./server-context.js";
import { BYTES_FIELD_OVERHEAD, raftTransportService } from "./service-definition.js";
import { acceptChannel, asHeaders, checkChannelServer } from "./snapshot-channel.js";
import { fetchChunks } from "./snapshot-fetch.js";
import { fetchSnapshotHandler } from "./snapshot-service.js";
import { emptyStats, type GrpcTransportStats } from "./stats.js";

/**
 * The `Transport` port over gRPC (@grpc/grpc-js). Each node runs one server;
 * to each peer it keeps one client-streaming `Messages` call for its engine
 * messages, and it opens a server-streaming `FetchSnapshot` call, on a
 * connection of its own, per snapshot file range it pulls.
 *
 * ```ts
 * const transport = await GrpcTransport.listen({ id: 1, clusterId: "bank", listen: { host: "127.0.0.1", port: 7001 }, peers: { 2: "127.0.0.1:7002" } });
 * ```
 */
export class GrpcTransport implements Transport {
  readonly id: NodeId;
  private readonly o: ResolvedOptions;
  private readonly server: Server;
  private readonly ctx: ServerContext;
  private listener: Listener | undefined;
  /** Serves snapshot channels (`snapshotChannel`): streams over connections of their own, beside gRPC on its port. */
  private readonly channels: ChannelServer;
  /** Aborted by `close()`: ends fetches running over snapshot channels. */
  private readonly closing = new AbortController();
  private boundAddress = "";
  private advertised: string | undefined;
  private readonly lifecycle = new TransportLifecycle();
  private readonly addresses: PeerAddresses;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly fetches = new Set<AbortController>();
  private readonly counters = emptyStats();
  private readonly rejections: RateLimitedLog<RejectionReason>;
  private readonly refusals: RateLimitedLog<RefusalReason>;
  private readonly drops: RateLimitedLog<DropReason>;
  private readonly linkContext: LinkContext;
  private readonly snapshotChannelOptions: ChannelOptions;
  /** This node's token, derived from the cluster secret: it speaks for this node only. */
  private readonly token: string | undefined;

  /** Checks `options`, binds the server and resolves once it accepts connections. Throws `InvalidConfig` for bad options, `Unavailable` if it cannot bind. */
  static async listen(options: GrpcTransportOptions): Promise<GrpcTransport> {
    const transport = new GrpcTransport(resolveOptions(options));
    await transport.bind();
    return transport;
  }

  private constructor(o: ResolvedOptions) {
    this.o = o;
    this.id = o.id;
    this.addresses = new PeerAddresses(o.peers, o.dialVia);
    const interval = o.rejectionLogIntervalMs;
    this.rejections = new RateLimitedLog<RejectionReason>(o.logger, () => ({ message: "grpc transport rejected a call or frame", level: "warn" }), interval);
    // A peer that is down or restarting is routine; a peer that refuses this node is a misconfiguration.
    const refusalLevel = (r: RefusalReason) => (r === "peer unreachable" || r === "stream broken" ? "info" : "warn");
    this.refusals = new RateLimitedLog<RefusalReason>(o.logger, (r) => ({ message: "grpc transport: a call to a peer failed", level: refusalLevel(r) }), interval);
    // No address is routine for a moment after a membership change; a message that fits no frame is a misconfiguration.
    this.drops = new RateLimitedLog<DropReason>(o.logger, (r) => ({ message: "grpc transport dropped a message", level: r === "no address" ? "debug" : "warn" }), interval);
    this.token = o.secret === undefined ? undefined : nodeToken(o.secret, o.clusterId, o.id);
    const channelOptions: ChannelOptions = {
      "grpc.max_send_message_length": o.maxFrameBytes,
      "grpc.max_receive_message_length": o.maxFrameBytes,
      "grpc.keepalive_time_ms": o.keepalive.timeMs,
      "grpc.keepalive_timeout_ms": o.keepalive.timeoutMs,
      "grpc.keepalive_permit_without_calls": 1,
      // PeerLink opens a fresh channel per attempt after a failure, so grpc-js's reconnect backoff never delays a
      // healed link; these only bound what grpc-js does on its own (a channel's re-resolution, say) by the same cap.
      "grpc.initial_reconnect_backoff_ms": o.reconnect.minDelayMs,
      "grpc.max_reconnect_backoff_ms": o.reconnect.maxDelayMs,
      // No transparent retries either: a failed call is this transport's to retry.
      "grpc.enable_retries": 0,
      // Connections belong to this transport alone: closing it closes them.
      "grpc.use_local_subchannel_pool": 1,
      ...tlsChannelOptions(o.tls),
    };
    this.snapshotChannelOptions = { ...channelOptions, "grpc-node.flow_control_window": o.snapshotWindowBytes };
    this.linkContext = {
      self: o.id,
      clusterId: o.clusterId,
      credentials: channelCredentials(o.tls),
      channelOptions,
      maxQueuedMessages: o.maxQueuedMessages,
      maxFrameBytes: o.maxFrameBytes,
      reconnectMinMs: o.reconnect.minDelayMs,
      reconnectMaxMs: o.reconnect.maxDelayMs,
      connectTimeoutMs: o.deadlines.connectMs,
      metadataFor: (peer) => this.metadataFor(peer),
      stats: this.counters,
      refusals: this.refusals,
      drops: this.drops,
    };
    this.server = new Server({
      "grpc.max_send_message_length": o.maxFrameBytes,
      "grpc.max_receive_message_length": o.maxFrameBytes,
      "grpc.keepalive_time_ms": o.keepalive.timeMs,
      "grpc.keepalive_timeout_ms": o.keepalive.timeoutMs,
      // A peer needs one Messages stream per connection (snapshot fetches open their own); this bounds what one connection can hold open.
      "grpc.max_concurrent_streams": 64,
      interceptors: [
        observeOversizedFrames((path, remote, details) => {
          this.counters.rejectedFrames++;
          this.rejections.record("oversized frame", { remote, call: path, detail: details });
        }),
      ],
    });
    this.ctx = this.serverContext();
    this.server.addService(raftTransportService, { Messages: messagesHandler(this.ctx), FetchSnapshot: fetchSnapshotHandler(this.ctx) });
    this.channels = new ChannelServer({
      snapshotIdleMs: o.deadlines.snapshotIdleMs,
      maxFrameBytes: o.maxFrameBytes,
      handlers: () => (this.lifecycle.closed ? undefined : this.lifecycle.handlers),
      onChunkSent: (bytes) => {
        this.counters.snapshotBytesSent += bytes;
      },
      reject: (peer, _reason, detail) => this.rejections.record("invalid snapshot request", { caller: peer, call: "SnapshotChannel", detail }),
    });
  }

  /** The bound address, "host:port" (the real port when `listen.port` was 0). */
  get address(): string {
    return this.boundAddress;
  }

  async start(handlers: TransportHandlers): Promise<void> {
    this.lifecycle.start(handlers);
  }

  send(messages: readonly Message[]): void {
    if (this.lifecycle.closed || messages.length === 0) return;
    try {
      let to: NodeId | undefined;
      let run: Message[] = [];
      // Consecutive messages to one peer go to its link together.
      for (const m of messages) {
        if (m.to !== to) {
          if (to !== undefined && run.length > 0) this.route(to, run);
          to = m.to;
          run = [];
        }
        run.push(m);
      }
      if (to !== undefined && run.length > 0) this.route(to, run);
    } catch (e) {
      // send() must never throw; a bug here is logged, the messages are lost.
      this.o.logger.error("grpc transport failed to queue messages", { error: e instanceof Error ? e.message : String(e) });
    }
  }

  fetchSnapshot(peer: NodeId, request: SnapshotRequest, signal: AbortSignal, options: FetchSnapshotOptions = {}): AsyncIterable<Uint8Array> {
    return this.fetch(peer, request, signal, options.reuseBuffers === true);
  }

  updatePeers(book: AddressBook): void {
    if (this.lifecycle.closed) return;
    for (const id of this.addresses.update(usableAddresses(book, this.id, this.o.logger, "grpc transport"))) this.readdress(id);
  }

  /** Counters for metrics. */
  stats(): GrpcTransportStats {
    return { ...this.counters, rejections: this.rejections.counts(), refusals: this.refusals.counts() };
  }

  async close(): Promise<void> {
    if (!this.lifecycle.close()) return;
    for (const link of this.links.values()) link.close();
    this.links.clear();
    for (const f of this.fetches) f.abort(new RaftError("Stopped", "the transport is closed"));
    this.closing.abort(new RaftError("Unavailable", "the transport is closed"));
    this.channels.cancelAll();
    this.rejections.close();
    this.refusals.close();
    this.drops.close();
    await this.listener?.close();
    // Peers' Messages calls never end by themselves: cut them rather than wait.
    this.server.forceShutdown();
    await new Promise((resolve) => setImmediate(resolve));
  }

  // --- internals -------------------------------------------------------------

  private async bind(): Promise<void> {
    const { host, port } = this.o.listen;
    this.listener = await Listener.open(host, port, this.o.tls, this.o.deadlines.connectMs, this.server, {
      onSnapshotChannel: (req, socket) => {
        if (this.o.snapshotChannel) acceptChannel(this.ctx, this.channels, req, socket);
        else socket.end(refusalResponse(400, "protocol"), () => socket.destroy());
      },
      onRefused: (reason, detail, remote) => this.rejections.record(reason === "tls" ? "tls handshake" : "bad http", { remote, detail }),
    }).catch((e: unknown) => {
      this.server.forceShutdown();
      throw e;
    });
    this.boundAddress = formatAddress(host, this.listener.port);
    this.advertised = advertisedAddress(this.o.advertise, host, this.listener.port);
  }

  private route(to: NodeId, messages: Message[]): void {
    if (to === this.id) return;
    let link = this.links.get(to);
    if (link === undefined) {
      const address = this.addresses.get(to);
      if (address === undefined) {
        this.counters.droppedNoAddress += messages.length;
        this.drops.record("no address", { peer: to });
        return;
      }
      link = new PeerLink(to, address, this.linkContext);
      this.links.set(to, link);
    }
    link.enqueue(messages);
  }

  /** A peer's address changed (membership, or learned): its link follows, or goes if it has none. */
  private readdress(id: NodeId): void {
    const link = this.links.get(id);
    if (link === undefined) return;
    const address = this.addresses.get(id);
    if (address !== undefined) link.setAddress(address);
    else {
      link.close();
      this.links.delete(id);
    }
  }

  private metadataFor(peer: NodeId): Metadata {
    return callerMetadata({ clusterId: this.o.clusterId, from: this.id, to: peer, address: this.advertised, token: this.token });
  }

  private async *fetch(peer: NodeId, request: SnapshotRequest, signal: AbortSignal, reuseBuffers: boolean): AsyncGenerator<Uint8Array> {
    if (this.lifecycle.closed) throw new RaftError("Unavailable", "the transport is closed");
    const address = this.addresses.get(peer);
    if (address === undefined) throw new RaftError("Unavailable", `no address is known for node ${peer}`);
    const local = new AbortController();
    const onAbort = () => local.abort(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    this.fetches.add(local);
    try {
      const settings: FetchSettings = {
        reuseBuffers,
        windowChunks: this.o.snapshotWindowChunks,
        maxFrameBytes: this.o.maxFrameBytes,
        idleMs: this.o.deadlines.snapshotIdleMs,
        onChunk: (bytes) => {
          this.counters.snapshotBytesReceived += bytes;
        },
      };
      const mismatch = (detail: string) => this.refusals.record("peer identity mismatch", { peer, address, detail });
      const overGrpc = () =>
        fetchChunks(
          {
            peer,
            address,
            clusterId: this.o.clusterId,
            credentials: this.linkContext.credentials,
            channelOptions: this.snapshotChannelOptions,
            metadata: this.metadataFor(peer),
            idleMs: settings.idleMs,
            windowChunks: settings.windowChunks,
            reuseBuffers,
            received: settings.onChunk,
            mismatch,
            answered: () => this.heardFrom(peer),
          },
          request,
          local.signal,
        );
      if (!this.o.snapshotChannel) return yield* overGrpc();
      const channel: ChannelDial = {
        peer,
        address,
        tls: this.o.tls,
        connectMs: this.o.deadlines.connectMs,
        headers: asHeaders(this.metadataFor(peer)),
        checkAccepted: (headers) => {
          const problem = checkChannelServer(headers, this.o.clusterId, peer);
          if (problem === undefined) this.heardFrom(peer);
          else mismatch(problem);
          return problem;
        },
      };
      const overChannel = () => fetchOverChannel(channel, request, local.signal, this.closing.signal, settings);
      yield* preferChannel(overChannel, overGrpc, (reason) => this.o.logger.info("grpc transport: fetching a snapshot over gRPC", { peer, reason }));
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.fetches.delete(local);
    }
  }

  private serverContext(): ServerContext {
    const policy: HandshakePolicy = {
      self: this.o.id,
      clusterId: this.o.clusterId,
      secret: this.o.secret,
      requireClientCert: this.o.tls?.requireClientCert === true,
      isKnown: (id) => this.o.acceptUnknownPeers || this.addresses.isKnown(id),
    };
    return {
      self: this.o.id,
      clusterId: this.o.clusterId,
      policy,
      stats: this.counters,
      // A chunk's payload plus its field's tag and length must fit in one gRPC message.
      maxChunkBytes: this.o.maxFrameBytes - BYTES_FIELD_OVERHEAD,
      snapshotIdleMs: this.o.deadlines.snapshotIdleMs,
      handlers: () => this.lifecycle.handlers,
      deliver: (messages) => this.deliver(messages),
      reject: (reason, fields) => this.rejections.record(reason, fields),
      learn: (caller, address) => {
        if (!this.lifecycle.closed && this.addresses.learn(caller, address)) this.readdress(caller);
      },
      heard: (caller) => this.heardFrom(caller),
    };
  }

  /** A sign of life from `peer`: its link stops backing off (and redials now if it was waiting to). */
  private heardFrom(peer: NodeId): void {
    this.links.get(peer)?.heardFrom();
  }

  private deliver(messages: readonly Message[]): void {
    const handlers = this.lifecycle.handlers;
    if (handlers === undefined) {
      this.counters.droppedNotStarted += messages.length;
      return;
    }
    this.counters.messagesReceived += messages.length;
    for (const m of messages) {
      try {
        handlers.onMessage(m);
      } catch (e) {
        this.o.logger.error("grpc transport: the node's onMessage threw", { type: m.type, from: m.from, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
}
