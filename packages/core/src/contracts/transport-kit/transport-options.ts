import { z } from "zod";
import type { NodeId } from "../../engine/index.js";
import { loggerOption } from "../options.js";
import { clusterIdSchema, nodeIdSchema } from "../schemas.js";
import { addressSchema, isAddress } from "./address.js";
import { RECONNECT_DEFAULTS, RECONNECT_LIMITS } from "./backoff.js";

/**
 * The options every network transport takes, as one zod schema with one set
 * of limits. A transport extends it with what only it has
 * (`grpcTransportOptionsSchema`, `wsTransportOptionsSchema`), parses with
 * `parseOptions` (a failure is `RaftError("InvalidConfig")` naming each bad
 * field), then calls `resolveTransportOptions` for the rules that span fields.
 */

const MiB = 1 << 20;
const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** A PEM certificate or key, as text or bytes. */
const pemSchema = z.custom<string | Buffer>((v) => (typeof v === "string" || Buffer.isBuffer(v)) && v.length > 0, { message: "must be a non-empty PEM string or Buffer" });

/** Node id → `"host:port"`, as an object or a `Map`; parsed into a `Map` (this node's own entry is dropped later). */
export const peerMapSchema = z
  .custom<Readonly<Record<string, string>> | ReadonlyMap<number, string>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
    message: "must be an object or a Map of node id to address",
  })
  .transform((peers, ctx) => {
    const out = new Map<NodeId, string>();
    const entries: Iterable<[unknown, unknown]> = peers instanceof Map ? peers.entries() : Object.entries(peers);
    for (const [key, address] of entries) {
      const id = typeof key === "string" && /^[1-9]\d{0,15}$/.test(key) ? Number(key) : key;
      const parsed = nodeIdSchema.safeParse(id);
      if (!parsed.success) ctx.addIssue({ code: "custom", path: [String(key)], message: "keys must be node ids (positive integers)" });
      else if (!isAddress(address)) ctx.addIssue({ code: "custom", path: [String(key)], message: `must be "host:port" (IPv6 as "[::1]:7002"), got ${JSON.stringify(address)?.slice(0, 80)}` });
      else out.set(parsed.data, address);
    }
    return out;
  });

export const tlsOptionsSchema = z
  .strictObject({
    cert: pemSchema.describe("this node's certificate chain (PEM): served to callers and presented when calling peers"),
    key: pemSchema.describe("the private key of `cert` (PEM)"),
    ca: z
      .union([pemSchema, z.array(pemSchema).min(1)])
      .optional()
      .transform((ca) => (ca === undefined ? undefined : Array.isArray(ca) ? ca : [ca]))
      .describe("CA certificates (PEM) peers' certificates must chain to, one or a list. Default: Node's root CAs"),
    requireClientCert: z.boolean().default(false).describe("mutual TLS: refuse callers without a certificate signed by `ca` that names their node id and the cluster id"),
    serverName: z.string().min(1).optional().describe("the name to check in peers' certificates instead of the host of their address"),
  })
  .superRefine((tls, ctx) => {
    if (tls.requireClientCert && tls.ca === undefined)
      ctx.addIssue({ code: "custom", path: ["ca"], message: "must be set when requireClientCert is true (client certificates are checked against it)" });
  });

/** The cluster secret: visible ASCII, so it travels unchanged in a header or gRPC metadata value. */
export const secretSchema = z.string().regex(/^[\x21-\x7e]{1,1024}$/, "must be 1–1024 printable ASCII characters without spaces");

export const reconnectSchema = z
  .strictObject({
    minDelayMs: int(RECONNECT_LIMITS.minDelayMs.min, RECONNECT_LIMITS.minDelayMs.max).optional(),
    maxDelayMs: int(RECONNECT_LIMITS.maxDelayMs.min, RECONNECT_LIMITS.maxDelayMs.max).optional(),
  })
  .superRefine((r, ctx) => {
    if (r.maxDelayMs !== undefined && r.maxDelayMs < (r.minDelayMs ?? RECONNECT_DEFAULTS.minDelayMs)) {
      ctx.addIssue({ code: "custom", path: ["maxDelayMs"], message: `must be at least minDelayMs (${r.minDelayMs ?? RECONNECT_DEFAULTS.minDelayMs})` });
    }
  })
  // With only minDelayMs given, the cap is the larger of it and the default cap.
  .transform((r) => {
    const minDelayMs = r.minDelayMs ?? RECONNECT_DEFAULTS.minDelayMs;
    return { minDelayMs, maxDelayMs: r.maxDelayMs ?? Math.max(minDelayMs, RECONNECT_DEFAULTS.maxDelayMs) };
  });

/** Defaults shared by every transport (a transport may override `snapshotWindowChunks`, see its README). */
export const TRANSPORT_DEFAULTS = {
  maxFrameBytes: 16 * MiB,
  maxQueuedMessages: 4096,
  keepalive: { timeMs: 2000, timeoutMs: 4000 },
  deadlines: { connectMs: 5000, snapshotIdleMs: 30_000 },
  snapshotWindowChunks: 8,
  rejectionLogIntervalMs: 1000,
} as const;

/** Bounds of the numeric options (integers). */
export const TRANSPORT_LIMITS = {
  maxFrameBytes: { min: 64 * 1024, max: 256 * MiB },
  maxQueuedMessages: { min: 1, max: 1_000_000 },
  keepaliveTimeMs: { min: 10, max: 3_600_000 },
  keepaliveTimeoutMs: { min: 10, max: 600_000 },
  connectMs: { min: 10, max: 600_000 },
  snapshotIdleMs: { min: 10, max: 3_600_000 },
  snapshotWindowChunks: { min: 1, max: 1024 },
  rejectionLogIntervalMs: { min: 1, max: 86_400_000 },
} as const;

const D = TRANSPORT_DEFAULTS;
const L = TRANSPORT_LIMITS;

export const transportOptionsSchema = z.strictObject({
  id: nodeIdSchema.describe("this node's id"),
  clusterId: clusterIdSchema.describe("every connection carries it; peers of another cluster are refused"),
  listen: z.strictObject({ host: z.string().min(1).max(255), port: int(0, 65535) }).describe("`{ host, port }` to listen on; port 0 picks a free port (read it from `address`)"),
  advertise: addressSchema.optional().describe('`"host:port"` peers can dial this node at, sent when calling them. Default: the bound address, none when `listen.host` is a wildcard'),
  peers: peerMapSchema.optional().meta({ title: "object or Map", description: 'node id → `"host:port"`; `updatePeers()` adds to and overrides these' }),
  dialVia: peerMapSchema.optional().meta({
    title: "object or Map",
    description: 'node id → `"host:port"` to dial instead of that peer\'s address from any source (a proxy or tunnel in front of it); identity checks unchanged',
  }),
  tls: tlsOptionsSchema.optional().describe("`{ cert, key, ca?, requireClientCert?, serverName? }`: TLS on every connection, both ways. Default plaintext"),
  auth: z
    .strictObject({ token: secretSchema })
    .optional()
    .describe("`{ token }`: the cluster secret (1–1024 printable ASCII). Each node presents a token derived from it and its own id, so one node's token cannot speak for another. Never logged"),
  logger: loggerOption.meta({ defaultText: "silent", description: "a `Logger` from `@raft/core/contracts`" }),
  maxFrameBytes: int(L.maxFrameBytes.min, L.maxFrameBytes.max)
    .default(D.maxFrameBytes)
    .describe("largest message sent or received on a connection (a frame of engine messages, a snapshot chunk); equal on every node, above the node's `maxMsgBytes`"),
  maxQueuedMessages: int(L.maxQueuedMessages.min, L.maxQueuedMessages.max)
    .default(D.maxQueuedMessages)
    .describe("messages queued per peer while its connection is down or busy; when full, the oldest is dropped (and counted)"),
  acceptUnknownPeers: z
    .boolean()
    .optional()
    .describe("accept callers with no address in `peers` or membership (default true). With false, a node that falls behind a membership change refuses a leader added since, and never catches up"),
  keepalive: z
    .strictObject({
      timeMs: int(L.keepaliveTimeMs.min, L.keepaliveTimeMs.max).default(D.keepalive.timeMs),
      timeoutMs: int(L.keepaliveTimeoutMs.min, L.keepaliveTimeoutMs.max).default(D.keepalive.timeoutMs),
    })
    .default(D.keepalive)
    .describe("`{ timeMs, timeoutMs }`: ping every `timeMs` (10 ms–1 h); a connection whose peer is silent `timeoutMs` (10 ms–10 min) past a ping is dropped"),
  reconnect: reconnectSchema
    .default(RECONNECT_DEFAULTS)
    .meta({ defaultText: `\`${JSON.stringify(RECONNECT_DEFAULTS)}\`` })
    .describe(
      "`{ minDelayMs, maxDelayMs }`: redial backoff, doubling from min (1–60000) to max (min–600000), jittered, reset by any sign of life from the peer; with only min set, max is the larger of it and 500",
    ),
  deadlines: z
    .strictObject({
      connectMs: int(L.connectMs.min, L.connectMs.max).default(D.deadlines.connectMs),
      snapshotIdleMs: int(L.snapshotIdleMs.min, L.snapshotIdleMs.max).default(D.deadlines.snapshotIdleMs),
    })
    .default(D.deadlines)
    .describe(
      "`{ connectMs, snapshotIdleMs }`: a connection not accepted within `connectMs` (10 ms–10 min) is dropped and retried; a snapshot stream that moves no chunk for `snapshotIdleMs` (10 ms–1 h) is cut on both sides",
    ),
  snapshotWindowChunks: int(L.snapshotWindowChunks.min, L.snapshotWindowChunks.max)
    .default(D.snapshotWindowChunks)
    .describe("snapshot chunks a fetch lets arrive ahead of its reader: 8 MiB at 1 MiB chunks keeps a link of a few milliseconds busy; raise it on high-latency links"),
  snapshotChannel: z
    .boolean()
    .default(true)
    .describe(
      "fetch snapshots over a connection of their own, upgraded from HTTP/1.1 on the transport's port, that reads into one reused buffer (no garbage per read), and serve them so; false: over the transport's own streams, as nodes before it do (a fetch from such a node falls back by itself)",
    ),
  rejectionLogIntervalMs: int(L.rejectionLogIntervalMs.min, L.rejectionLogIntervalMs.max)
    .default(D.rejectionLogIntervalMs)
    .describe("at most one log line per rejection reason per interval; the rest are counted"),
});

/** What `transportOptionsSchema` (or an extension of it) parses to. */
export type ParsedTransportOptions = z.output<typeof transportOptionsSchema>;
export type TlsOptions = z.output<typeof tlsOptionsSchema>;

/** Parsed options with the rules that span fields applied. */
export type ResolvedTransportOptions<P extends ParsedTransportOptions = ParsedTransportOptions> = Omit<P, "peers" | "dialVia" | "acceptUnknownPeers" | "auth"> & {
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly dialVia: ReadonlyMap<NodeId, string>;
  readonly acceptUnknownPeers: boolean;
  /** The cluster secret, if any. */
  readonly secret: string | undefined;
};

/** Drops this node's own entries from the address maps and fills the defaults that depend on other fields. */
export function resolveTransportOptions<P extends ParsedTransportOptions>(p: P): ResolvedTransportOptions<P> {
  const withoutSelf = (m: ReadonlyMap<NodeId, string> | undefined) => new Map([...(m ?? [])].filter(([id]) => id !== p.id));
  const peers = withoutSelf(p.peers);
  return {
    ...p,
    peers,
    dialVia: withoutSelf(p.dialVia),
    acceptUnknownPeers: p.acceptUnknownPeers ?? true,
    secret: p.auth?.token,
  };
}
