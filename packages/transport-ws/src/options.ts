import { clusterIdSchema, nodeIdSchema, RaftError, resolveReconnect, silentLogger, type Logger, type NodeId, type ReconnectOptions } from "@raft/core/contracts";
import { parseAddress } from "./address.js";

type Pem = string | Buffer;

export interface WsTlsOptions {
  /** This node's certificate chain (PEM): served to dialers and presented when dialing. */
  readonly cert: Pem;
  /** The private key of `cert` (PEM). */
  readonly key: Pem;
  /** CAs trusted for peers' certificates (PEM). Default: Node's root store. */
  readonly ca?: Pem | readonly Pem[];
  /** mTLS: refuse a dialer whose certificate is missing or not signed by `ca`. Default false. */
  readonly requireClientCert?: boolean;
  /** The name to check in peers' certificates, instead of the host (or IP) of their address. */
  readonly serverName?: string;
}

export interface WsTransportOptions {
  /** This node's id. */
  readonly id: NodeId;
  /** Every connection carries it; a peer of another cluster is refused. */
  readonly clusterId: string;
  /** Where to accept connections; port 0 picks a free port (see `WsTransport.address`). */
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * The `host:port` peers can dial this node at, sent when dialing so a peer
   * with no address for this node can dial back later. Default: the bound
   * address, unless the host is a wildcard (then none is sent).
   */
  readonly advertise?: string;
  /** Peer id → `host:port`. `updatePeers()` adds to and overrides these. This node's own entry is ignored. */
  readonly peers?: Readonly<Record<string, string>> | ReadonlyMap<NodeId, string>;
  /**
   * Peer id → `host:port` to dial instead of that peer's address (from
   * membership, `peers` or a dialer): a proxy or tunnel in front of it. It
   * wins over every other address; identity checks and who may dial in are
   * unchanged. Default none.
   */
  readonly dialVia?: Readonly<Record<string, string>> | ReadonlyMap<NodeId, string>;
  /** Serve and dial over TLS (`wss`); `requireClientCert` turns on mTLS. */
  readonly tls?: WsTlsOptions;
  /** A shared secret every dialer presents on upgrade; compared in constant time, never logged. */
  readonly auth?: { readonly token: string };
  /** Connection events and rate-limited rejections. Default: silent. */
  readonly logger?: Logger;
  /** The largest WebSocket message accepted or sent, envelope included. Default 16 MiB. */
  readonly maxFrameBytes?: number;
  /** Messages queued per peer while its connection is down or busy; the oldest are dropped beyond it. Default 4096. */
  readonly maxQueuedMessages?: number;
  /**
   * Accept dialers whose id has no address here (configured or from
   * membership). Default: true when no `peers` are configured — a node that
   * joins a running cluster cannot know who will dial it — false otherwise.
   */
  readonly acceptUnknownPeers?: boolean;
  /** Ping every `timeMs` (default 1000); drop a connection that heard nothing for `timeMs + timeoutMs` (default 4000). */
  readonly keepalive?: { readonly timeMs?: number; readonly timeoutMs?: number };
  /**
   * Wait before redialing after a failed dial or a lost connection: doubling
   * from min to max, jittered, and back to min on any sign of life from the
   * peer. Default 100–500 ms (`RECONNECT_DEFAULTS` of `@raft/core/contracts`),
   * the same as `@raft/transport-grpc`.
   */
  readonly reconnect?: ReconnectOptions;
  readonly deadlines?: {
    /** TCP + TLS + upgrade must complete within this, in both directions. Default 5000 ms. */
    readonly connectMs?: number;
    /** A snapshot stream that moves no chunk for this long is cut with `Timeout`, on either side. Default 30 s. */
    readonly snapshotIdleMs?: number;
  };
  /** Snapshot chunks a reader lets a server send ahead of its consumer (the credit window). Default 16: enough to keep the sockets' buffers full on a fast link. */
  readonly snapshotWindowChunks?: number;
  /** At most one log line per rejection reason per this interval; the rest are counted. Default 1000 ms. */
  readonly rejectionLogIntervalMs?: number;
}

export interface ResolvedOptions {
  readonly id: NodeId;
  readonly clusterId: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly advertise: string | undefined;
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly dialVia: ReadonlyMap<NodeId, string>;
  readonly tls: WsTlsOptions | undefined;
  readonly token: string | undefined;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  readonly maxQueuedMessages: number;
  readonly acceptUnknownPeers: boolean;
  readonly pingIntervalMs: number;
  /** Silence after which a connection is dropped: keepalive time + timeout. */
  readonly livenessTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly connectTimeoutMs: number;
  readonly snapshotIdleMs: number;
  readonly snapshotWindowChunks: number;
  readonly rejectionLogIntervalMs: number;
}

const MiB = 1 << 20;
/** Credit beyond this is refused: it would let one stream pin unbounded memory in the socket. */
export const MAX_WINDOW_CHUNKS = 1024;
const MIN_FRAME_BYTES = 4096;
/** Above ws' default payload limit of 100 MiB nothing is gained; below it a peer could make us buffer more. */
const MAX_FRAME_BYTES = 256 * MiB;

/** Checks the options and fills in defaults; throws `RaftError("InvalidConfig")` naming the field. */
export function resolveOptions(o: WsTransportOptions): ResolvedOptions {
  const bad = (field: string, what: string) => new RaftError("InvalidConfig", `WsTransport option ${field} must be ${what}`);
  if (typeof o !== "object" || o === null) throw bad("options", "an object");
  if (!nodeIdSchema.safeParse(o.id).success) throw bad("id", "a positive safe integer");
  if (!clusterIdSchema.safeParse(o.clusterId).success) throw bad("clusterId", "1–64 letters, digits, '.', '_' or '-'");
  if (typeof o.listen !== "object" || o.listen === null) throw bad("listen", "{ host, port }");
  if (typeof o.listen.host !== "string" || o.listen.host.length === 0) throw bad("listen.host", "a non-empty host name or IP address");
  if (!isInt(o.listen.port, 0, 65535)) throw bad("listen.port", "an integer in [0, 65535] (0 picks a free port)");
  if (o.advertise !== undefined && (typeof o.advertise !== "string" || parseAddress(o.advertise) === undefined)) throw bad("advertise", "'host:port'");
  const peers = resolvePeers(o.id, o.peers, bad);
  if (o.tls !== undefined) checkTls(o.tls, bad);
  if (o.auth !== undefined && (typeof o.auth !== "object" || o.auth === null || !isToken(o.auth.token))) {
    throw bad("auth.token", "1–1024 printable ASCII characters without spaces");
  }
  if (o.logger !== undefined && (typeof o.logger !== "object" || typeof o.logger.warn !== "function")) throw bad("logger", "a Logger");
  if (o.acceptUnknownPeers !== undefined && typeof o.acceptUnknownPeers !== "boolean") throw bad("acceptUnknownPeers", "a boolean");
  for (const group of ["keepalive", "deadlines"] as const) {
    if (o[group] !== undefined && (typeof o[group] !== "object" || o[group] === null)) throw bad(group, "an object");
  }
  const num = (value: number | undefined, field: string, fallback: number, min: number, max: number) => {
    const v = value ?? fallback;
    if (!isInt(v, min, max)) throw bad(field, `an integer in [${min}, ${max}]`);
    return v;
  };
  const reconnect = resolveReconnect(o.reconnect, bad);
  const pingIntervalMs = num(o.keepalive?.timeMs, "keepalive.timeMs", 1000, 10, 3_600_000);
  return {
    id: o.id,
    clusterId: o.clusterId,
    listen: { host: o.listen.host, port: o.listen.port },
    advertise: o.advertise,
    peers,
    dialVia: resolvePeers(o.id, o.dialVia, (field, what) => bad(field.replace(/^peers/, "dialVia"), what)),
    tls: o.tls,
    token: o.auth?.token,
    logger: o.logger ?? silentLogger,
    maxFrameBytes: num(o.maxFrameBytes, "maxFrameBytes", 16 * MiB, MIN_FRAME_BYTES, MAX_FRAME_BYTES),
    maxQueuedMessages: num(o.maxQueuedMessages, "maxQueuedMessages", 4096, 1, 1 << 24),
    acceptUnknownPeers: o.acceptUnknownPeers ?? peers.size === 0,
    pingIntervalMs,
    livenessTimeoutMs: pingIntervalMs + num(o.keepalive?.timeoutMs, "keepalive.timeoutMs", 4000, 1, 3_600_000),
    reconnectMinMs: reconnect.minMs,
    reconnectMaxMs: reconnect.maxMs,
    connectTimeoutMs: num(o.deadlines?.connectMs, "deadlines.connectMs", 5000, 1, 3_600_000),
    snapshotIdleMs: num(o.deadlines?.snapshotIdleMs, "deadlines.snapshotIdleMs", 30_000, 1, 86_400_000),
    snapshotWindowChunks: num(o.snapshotWindowChunks, "snapshotWindowChunks", 16, 1, MAX_WINDOW_CHUNKS),
    rejectionLogIntervalMs: num(o.rejectionLogIntervalMs, "rejectionLogIntervalMs", 1000, 1, 86_400_000),
  };
}

/**
 * Validates an address book (configured `peers` or `updatePeers`): each key a
 * node id, each value `host:port`. This node's own entry is skipped.
 */
export function resolvePeers(self: NodeId, peers: WsTransportOptions["peers"], bad: (field: string, what: string) => Error): Map<NodeId, string> {
  const out = new Map<NodeId, string>();
  if (peers === undefined) return out;
  if (typeof peers !== "object" || peers === null) throw bad("peers", "an object or a Map of node id → 'host:port'");
  const entries: [unknown, unknown][] = peers instanceof Map ? [...peers.entries()] : Object.entries(peers);
  for (const [key, address] of entries) {
    const id = typeof key === "string" && /^[1-9]\d{0,15}$/.test(key) ? Number(key) : key;
    if (!nodeIdSchema.safeParse(id).success) throw bad(`peers[${String(key)}]`, "keyed by a positive integer node id");
    if (typeof address !== "string" || parseAddress(address) === undefined) throw bad(`peers[${String(key)}]`, "'host:port' (IPv6 as '[::1]:7002')");
    if (id !== self) out.set(id as NodeId, address);
  }
  return out;
}

function checkTls(tls: WsTlsOptions, bad: (field: string, what: string) => Error): void {
  if (typeof tls !== "object" || tls === null) throw bad("tls", "{ cert, key, ca?, requireClientCert? }");
  if (!isPem(tls.cert)) throw bad("tls.cert", "a PEM string or Buffer");
  if (!isPem(tls.key)) throw bad("tls.key", "a PEM string or Buffer");
  if (tls.ca !== undefined && !(isPem(tls.ca) || (Array.isArray(tls.ca) && tls.ca.length > 0 && tls.ca.every(isPem)))) throw bad("tls.ca", "a PEM string, Buffer, or an array of them");
  if (tls.requireClientCert !== undefined && typeof tls.requireClientCert !== "boolean") throw bad("tls.requireClientCert", "a boolean");
  if (tls.requireClientCert === true && tls.ca === undefined) throw bad("tls.ca", "set when requireClientCert is true (the CA that signs the peers' certificates)");
  if (tls.serverName !== undefined && (typeof tls.serverName !== "string" || tls.serverName.length === 0)) throw bad("tls.serverName", "a non-empty string");
}

function isPem(v: unknown): boolean {
  return (typeof v === "string" && v.length > 0) || (Buffer.isBuffer(v) && v.length > 0);
}

/** Header-safe: visible ASCII, so it travels in `Authorization: Bearer <token>` unchanged. */
function isToken(v: unknown): v is string {
  return typeof v === "string" && /^[\x21-\x7e]{1,1024}$/.test(v);
}

function isInt(v: unknown, min: number, max: number): boolean {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
}

/** What this node sends as its own address: the configured one, or the bound one unless it cannot be dialed. */
export function advertisedAddress(o: ResolvedOptions, boundAddress: string): string | undefined {
  if (o.advertise !== undefined) return o.advertise;
  return ["0.0.0.0", "::", "[::]", "::0"].includes(o.listen.host) ? undefined : boundAddress;
}
