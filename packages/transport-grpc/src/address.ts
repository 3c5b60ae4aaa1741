/**
 * Peer addresses are "host:port": a host name or IPv4 address, or an IPv6
 * address in brackets. They come from options, membership and (learned) from
 * peers' metadata, so they are checked before grpc-js ever sees them.
 */
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?):(\d{1,5})$/;
const MAX_ADDRESS = 1024;

export function isAddress(value: unknown): value is string {
  if (typeof value !== "string" || value.length > MAX_ADDRESS) return false;
  const m = ADDRESS.exec(value);
  if (m === null) return false;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535;
}

/** "host:port", with an IPv6 host in brackets. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A wildcard host accepts connections on every interface but cannot be dialed. */
export function isWildcardHost(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}
