import { ChannelCredentials, ServerCredentials, type ChannelOptions } from "@grpc/grpc-js";
import type { GrpcTlsOptions } from "./options.js";

const buffer = (pem: string | Buffer): Buffer => (typeof pem === "string" ? Buffer.from(pem) : pem);

/**
 * Mutual TLS that asks every client for a certificate but lets the handshake
 * finish without one, so the refusal happens in the call handler, where it
 * is counted and logged with its reason (a TLS handshake failure would be
 * invisible to this package). grpc-js reports a peer certificate to the
 * handler only when it verified against `ca`; a call without one is refused
 * before any byte of it is read.
 */
class ClientCertificateRequested extends ServerCredentials {
  constructor(tls: GrpcTlsOptions) {
    super({ requestCert: true, rejectUnauthorized: false }, { ca: tls.ca === undefined ? undefined : buffer(tls.ca), cert: buffer(tls.cert), key: buffer(tls.key) });
  }

  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

export function serverCredentials(tls: GrpcTlsOptions | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  if (tls.requireClientCert === true) return new ClientCertificateRequested(tls);
  return ServerCredentials.createSsl(tls.ca === undefined ? null : buffer(tls.ca), [{ cert_chain: buffer(tls.cert), private_key: buffer(tls.key) }], false);
}

/** Calls to peers present this node's certificate, so they pass a peer's mutual TLS. */
export function channelCredentials(tls: GrpcTlsOptions | undefined): ChannelCredentials {
  if (tls === undefined) return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(tls.ca === undefined ? null : buffer(tls.ca), buffer(tls.key), buffer(tls.cert));
}

export function tlsChannelOptions(tls: GrpcTlsOptions | undefined): ChannelOptions {
  if (tls?.serverName === undefined) return {};
  return { "grpc.ssl_target_name_override": tls.serverName, "grpc.default_authority": tls.serverName };
}
