import { parseOptions, resolveTransportOptions, TRANSPORT_LIMITS, transportOptionsSchema, type ResolvedTransportOptions } from "@raft/core/contracts";
import type { z } from "zod";
import type { ConnectionTimings } from "./connection.js";

/**
 * The options of `WsTransport.listen`: the transport kit's shared schema
 * (`transportOptionsSchema` of `@raft/core/contracts`), the same fields and
 * limits as `@raft/transport-grpc`. Over WebSocket, `keepalive` is this
 * transport's own ping/pong: a connection silent for `timeMs + timeoutMs`
 * is dropped.
 */
export const wsTransportOptionsSchema = transportOptionsSchema;

/** What `WsTransport.listen` takes (see the README's table, generated from `wsTransportOptionsSchema`). */
export type WsTransportOptions = z.input<typeof wsTransportOptionsSchema>;
/** TLS for both ends of every connection: `wss` served and dialed; `requireClientCert` turns on mTLS. */
export type WsTlsOptions = NonNullable<WsTransportOptions["tls"]>;
export type ResolvedOptions = ResolvedTransportOptions<z.output<typeof wsTransportOptionsSchema>> & ConnectionTimings;

/** Credit beyond this is refused: it would let one stream pin unbounded memory in the socket. */
export const MAX_WINDOW_CHUNKS = TRANSPORT_LIMITS.snapshotWindowChunks.max;

/** Checks the options and fills in defaults; throws `RaftError("InvalidConfig")` naming each bad field. */
export function resolveOptions(input: WsTransportOptions): ResolvedOptions {
  const o = resolveTransportOptions(parseOptions(wsTransportOptionsSchema, input, "WsTransport options"));
  return { ...o, pingIntervalMs: o.keepalive.timeMs, livenessTimeoutMs: o.keepalive.timeMs + o.keepalive.timeoutMs };
}
