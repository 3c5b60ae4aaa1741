import { clusterIdSchema, nodeIdSchema, RaftError, resolveReconnect, silentLogger, type Logger, type NodeId, type ReconnectOptions } from "@raft/core/contracts";
import { formatAddress, isAddress, isWildcardHost } from "./address.js";

/** TLS for both ends of every connection: this node's server and its calls to peers. */
export interface GrpcTlsOptions {
  /** This node's certificate chain (PEM). Also its client certificate when it calls peers. */
  readonly cert: string | Buffer;
  /** The private key of `cert` (PEM). */
  readonly key: string | Buffer;
  /** CA certificates (PEM) that peers' certificates must chain to. Default: Node's root CAs. */
  readonly ca?: string | Buffer;
  /** Mutual TLS: refuse callers that present no certificate signed by `ca`. Default false. */
  readonly requireClientCert?: boolean;
  /** The name to check in peers' certificates, instead of the host of their address. */
  readonly serverName?: string;
}

export interface GrpcTransportOptions {
  /** This node's id. */
  readonly id: NodeId;
  /** Every call carries it; calls from another cluster are refused. */
  readonly clusterId: string;
  /** Where the server listens; port 0 picks a free port (see `address`). */
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * The address peers can dial this node at, sent with every call so a node
   * with no address for this one (a node that just joined) can answer.
   * Default: the bound address, unless the host is a wildcard (then none is sent).
   */
  readonly advertise?: string;
  /** Peer id → "host:port". `updatePeers()` (from membership) overrides these. */
  readonly peers?: Readonly<Record<string, string>> | ReadonlyMap<NodeId, string>;
  /**
   * Peer id → "host:port" to dial instead of that peer's address (from
   * membership, `peers` or a caller): a proxy or tunnel in front of it. It
   * wins over every other address; identity checks and who may call in are
   * unchanged. Default none.
   */
  readonly dialVia?: Readonly<Record<string, string>> | ReadonlyMap<NodeId, string>;
  readonly tls?: GrpcTlsOptions;
  /** A shared secret every call must carry. Compared in constant time; never logged. */
  readonly auth?: { readonly token: string };
  readonly logger?: Logger;
  /** Largest gRPC message sent or received: a frame of engine messages, or a snapshot chunk. Default 16 MiB. */
  readonly maxFrameBytes?: number;
  /** Messages queued per peer while its stream is busy or down; more are dropped (and counted). Default 4096. */
  readonly maxQueuedMessages?: number;
  /**
   * Accept callers whose id has no known address (configured or from
   * membership). Default: true when no `peers` are configured — a node that
   * joins a running cluster cannot know who will call it — false otherwise.
   */
  readonly acceptUnknownPeers?: boolean;
  /** HTTP/2 pings on idle connections, so dead peers are noticed. */
  readonly keepalive?: { readonly timeMs?: number; readonly timeoutMs?: number };
  /**
   * Delay before reopening a broken or refused stream: doubling from min to
   * max, jittered, and back to min on any sign of life from the peer.
   * Default 100–500 ms (`RECONNECT_DEFAULTS` of `@raft/core/contracts`),
   * the same as `@raft/transport-ws`.
   */
  readonly reconnect?: ReconnectOptions;
  readonly deadlines?: {
    /** A stream the peer has not accepted within this time is abandoned and retried. Default 5 s. */
    readonly connectMs?: number;
    /** A snapshot stream that moves no chunk for this long is cut, on either side. Default 30 s. */
    readonly snapshotIdleMs?: number;
  };
  /** Snapshot chunks a fetch buffers for its reader, at most. Default 4. */
  readonly snapshotWindowChunks?: number;
  /** HTTP/2 flow-control window of a snapshot fetch: bytes in flight beyond those chunks. Default 8 MiB. */
  readonly snapshotWindowBytes?: number;
  /** At most one log line per rejection reason per this interval; the rest are counted. Default 1000 ms. */
  readonly rejectionLogIntervalMs?: number;
}

export interface ResolvedOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  readonly host: string;
  readonly port: number;
  readonly advertise: string | undefined;
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly dialVia: ReadonlyMap<NodeId, string>;
  readonly tls: GrpcTlsOptions | undefined;
  readonly token: string | undefined;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  readonly maxQueuedMessages: number;
  readonly acceptUnknownPeers: boolean;
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly connectTimeoutMs: number;
  readonly snapshotIdleMs: number;
  readonly snapshotWindowChunks: number;
  readonly snapshotWindowBytes: number;
  readonly rejectionLogIntervalMs: number;
}

const MiB = 1 << 20;

export const defaults = {
  maxFrameBytes: 16 * MiB,
  maxQueuedMessages: 4096,
  keepaliveTimeMs: 10_000,
  keepaliveTimeoutMs: 5_000,
  connectTimeoutMs: 5_000,
  snapshotIdleMs: 30_000,
  snapshotWindowChunks: 4,
  snapshotWindowBytes: 8 * MiB,
  rejectionLogIntervalMs: 1_000,
} as const;

function bad(field: string, what: string): RaftError {
  return new RaftError("InvalidConfig", `GrpcTransport option ${field} must be ${what}`);
}

function int(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw bad(field, `an integer in [${min}, ${max}]`);
  return value;
}

function pem(value: unknown, field: string): void {
  if (!(typeof value === "string" || Buffer.isBuffer(value)) || value.length === 0) throw bad(field, "a non-empty PEM string or Buffer");
}

function peerMap(peers: GrpcTransportOptions["peers"], self: NodeId, field = "peers"): Map<NodeId, string> {
  const out = new Map<NodeId, string>();
  if (peers === undefined) return out;
  if (typeof peers !== "object" || peers === null) throw bad(field, "an object or a Map of node id to address");
  const entries: Iterable<[unknown, unknown]> = peers instanceof Map ? peers.entries() : Object.entries(peers);
  for (const [key, address] of entries) {
    const id = typeof key === "string" && /^\d{1,16}$/.test(key) ? Number(key) : key;
    if (!nodeIdSchema.safeParse(id).success) throw bad(`${field} (key ${String(key)})`, "keyed by node ids (positive integers)");
    if (!isAddress(address)) throw bad(`${field}.${String(key)}`, `"host:port" (got ${JSON.stringify(address)})`);
    if (id !== self) out.set(id as NodeId, address);
  }
  return out;
}

/** Checks the options; throws `RaftError("InvalidConfig")` naming the field. */
export function resolveOptions(o: GrpcTransportOptions): ResolvedOptions {
  if (typeof o !== "object" || o === null) throw bad("(options)", "an object");
  if (!nodeIdSchema.safeParse(o.id).success) throw bad("id", "a positive safe integer");
  if (!clusterIdSchema.safeParse(o.clusterId).success) throw bad("clusterId", "1–64 letters, digits, '.', '_' or '-'");
  if (typeof o.listen !== "object" || o.listen === null) throw bad("listen", "{ host, port }");
  const host = o.listen.host;
  if (typeof host !== "string" || host.length === 0 || host.length > 255) throw bad("listen.host", "a host name or IP address");
  const port = int(o.listen.port, "listen.port", 0, 65535, 0);
  if (o.advertise !== undefined && !isAddress(o.advertise)) throw bad("advertise", '"host:port"');
  if (o.tls !== undefined) {
    if (typeof o.tls !== "object" || o.tls === null) throw bad("tls", "{ cert, key, ca?, requireClientCert? }");
    pem(o.tls.cert, "tls.cert");
    pem(o.tls.key, "tls.key");
    if (o.tls.ca !== undefined) pem(o.tls.ca, "tls.ca");
    if (o.tls.requireClientCert !== undefined && typeof o.tls.requireClientCert !== "boolean") throw bad("tls.requireClientCert", "a boolean");
    if (o.tls.requireClientCert === true && o.tls.ca === undefined) throw bad("tls.ca", "set when tls.requireClientCert is true (client certificates are checked against it)");
    if (o.tls.serverName !== undefined && (typeof o.tls.serverName !== "string" || o.tls.serverName.length === 0)) throw bad("tls.serverName", "a non-empty string");
  }
  if (o.auth !== undefined && (typeof o.auth !== "object" || o.auth === null || typeof o.auth.token !== "string" || o.auth.token.length === 0 || o.auth.token.length > 4096)) {
    throw bad("auth.token", "a non-empty string of at most 4096 characters");
  }
  if (o.auth !== undefined && !/^[\x21-\x7e]+$/.test(o.auth.token)) throw bad("auth.token", "printable ASCII without spaces (it travels in a gRPC metadata value)");
  if (o.acceptUnknownPeers !== undefined && typeof o.acceptUnknownPeers !== "boolean") throw bad("acceptUnknownPeers", "a boolean");
  const peers = peerMap(o.peers, o.id);
  const reconnect = resolveReconnect(o.reconnect, bad);
  return {
    id: o.id,
    clusterId: o.clusterId,
    host,
    port,
    advertise: o.advertise,
    peers,
    dialVia: peerMap(o.dialVia, o.id, "dialVia"),
    tls: o.tls,
    token: o.auth?.token,
    logger: o.logger ?? silentLogger,
    maxFrameBytes: int(o.maxFrameBytes, "maxFrameBytes", 64 * 1024, 1024 * MiB, defaults.maxFrameBytes),
    maxQueuedMessages: int(o.maxQueuedMessages, "maxQueuedMessages", 1, 1_000_000, defaults.maxQueuedMessages),
    acceptUnknownPeers: o.acceptUnknownPeers ?? peers.size === 0,
    keepaliveTimeMs: int(o.keepalive?.timeMs, "keepalive.timeMs", 1000, 3_600_000, defaults.keepaliveTimeMs),
    keepaliveTimeoutMs: int(o.keepalive?.timeoutMs, "keepalive.timeoutMs", 100, 600_000, defaults.keepaliveTimeoutMs),
    reconnectMinMs: reconnect.minMs,
    reconnectMaxMs: reconnect.maxMs,
    connectTimeoutMs: int(o.deadlines?.connectMs, "deadlines.connectMs", 10, 600_000, defaults.connectTimeoutMs),
    snapshotIdleMs: int(o.deadlines?.snapshotIdleMs, "deadlines.snapshotIdleMs", 10, 3_600_000, defaults.snapshotIdleMs),
    snapshotWindowChunks: int(o.snapshotWindowChunks, "snapshotWindowChunks", 1, 16, defaults.snapshotWindowChunks),
    snapshotWindowBytes: int(o.snapshotWindowBytes, "snapshotWindowBytes", 16 * 1024, 256 * MiB, defaults.snapshotWindowBytes),
    rejectionLogIntervalMs: int(o.rejectionLogIntervalMs, "rejectionLogIntervalMs", 1, 86_400_000, defaults.rejectionLogIntervalMs),
  };
}

/** What this node sends as its own address: the configured one, or the bound one unless it cannot be dialed. */
export function advertisedAddress(o: ResolvedOptions, boundPort: number): string | undefined {
  if (o.advertise !== undefined) return o.advertise;
  return isWildcardHost(o.host) ? undefined : formatAddress(o.host, boundPort);
}
