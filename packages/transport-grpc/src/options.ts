import { parseOptions, resolveTransportOptions, transportOptionsSchema, type ResolvedTransportOptions } from "@raft/core/contracts";
import { z } from "zod";

const MiB = 1 << 20;

/**
 * The options of `GrpcTransport.listen`: the transport kit's shared schema
 * (`transportOptionsSchema` of `@raft/core/contracts`, the same fields and
 * limits as `@raft/transport-ws`) and what only gRPC has.
 */
export const grpcTransportOptionsSchema = transportOptionsSchema.extend({
  snapshotWindowChunks: transportOptionsSchema.shape.snapshotWindowChunks
    .unwrap()
    .default(4)
    .describe("snapshot chunks a fetch lets arrive ahead of its reader; over the FetchSnapshot fallback, beyond HTTP/2's window (which keeps the link busy), hence fewer than over WebSocket"),
  snapshotWindowBytes: z
    .number()
    .int()
    .min(16 * 1024)
    .max(256 * MiB)
    .default(8 * MiB)
    .describe("HTTP/2 flow-control window of a FetchSnapshot call's connection (the fallback from the snapshot channel): larger is faster on high-latency links and holds more in flight"),
});

/** What `GrpcTransport.listen` takes (see the README's table, generated from `grpcTransportOptionsSchema`). */
export type GrpcTransportOptions = z.input<typeof grpcTransportOptionsSchema>;
/** TLS for both ends of every connection: this node's server and its calls to peers. */
export type GrpcTlsOptions = NonNullable<GrpcTransportOptions["tls"]>;
export type ResolvedOptions = ResolvedTransportOptions<z.output<typeof grpcTransportOptionsSchema>>;

/** Checks the options; throws `RaftError("InvalidConfig")` naming each bad field. */
export function resolveOptions(input: GrpcTransportOptions): ResolvedOptions {
  return resolveTransportOptions(parseOptions(grpcTransportOptionsSchema, input, "GrpcTransport options"));
}
