import { ChannelCredentials, ServerCredentials, type ChannelOptions } from "@grpc/grpc-js";
import type { TlsOptions } from "@raft/core/contracts";

const buffer = (pem: string | Buffer): Buffer => (typeof pem === "string" ? Buffer.from(pem) : pem);

/** grpc-js takes one PEM bundle of CA certificates: the list, concatenated. */
function caBundle(tls: TlsOptions): Buffer | null {
  return tls.ca === undefined ? null : Buffer.concat(tls.ca.flatMap((pem) => [buffer(pem), Buffer.from("\n")]));
}

/**
 * Mutual TLS that asks every client for a certificate but lets the handshake
 * finish without one, so the refusal happens in the call handler, where it
 * is counted and logged with its reason (a TLS handshake failure would be
 * invisible to this package). grpc-js reports a peer certificate to the
 * handler only when it verified against `ca`; a call without one is refused
 * before any byte of it is read, and so is one whose certificate names
 * another node than the caller claims to be.
 */
class ClientCertificateRequested extends ServerCredentials {
  constructor(tls: TlsOptions) {
    super({ requestCert: true, rejectUnauthorized: false }, { ca: caBundle(tls) ?? undefined, cert: buffer(tls.cert), key: buffer(tls.key) });
  }

  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

export function serverCredentials(tls: TlsOptions | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  if (tls.requireClientCert) return new ClientCertificateRequested(tls);
  return ServerCredentials.createSsl(caBundle(tls), [{ cert_chain: buffer(tls.cert), private_key: buffer(tls.key) }], false);
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
