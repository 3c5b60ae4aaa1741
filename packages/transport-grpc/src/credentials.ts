import { ChannelCredentials, type ChannelOptions } from "@grpc/grpc-js";
import type { TlsOptions } from "@raft/core/contracts";

const buffer = (pem: string | Buffer): Buffer => (typeof pem === "string" ? Buffer.from(pem) : pem);

/** grpc-js takes one PEM bundle of CA certificates: the list, concatenated. */
function caBundle(tls: TlsOptions): Buffer | null {
  return tls.ca === undefined ? null : Buffer.concat(tls.ca.flatMap((pem) => [buffer(pem), Buffer.from("\n")]));
}

/** Calls to peers present this node's certificate, so they pass a peer's mutual TLS. */
export function channelCredentials(tls: TlsOptions | undefined): ChannelCredentials {
  if (tls === undefined) return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(caBundle(tls), buffer(tls.key), buffer(tls.cert));
}

export function tlsChannelOptions(tls: TlsOptions | undefined): ChannelOptions {
  if (tls?.serverName === undefined) return {};
  return { "grpc.ssl_target_name_override": tls.serverName, "grpc.default_authority": tls.serverName };
}
