import { z } from "zod";

/**
 * Peer addresses of the network transports: `"host:port"`, with a host name
 * (letters, digits, `.`, `_`, `-`: container names often hold `_`), an IPv4
 * address, or an IPv6 address in brackets (`"[::1]:7002"`), and a port in
 * 1–65535. They come from options, membership and peers' handshakes, so they
 * are checked before a socket library ever sees them.
 */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Longest accepted address: a DNS name (253) in brackets, a colon and a port, with room to spare. */
export const MAX_ADDRESS_LENGTH = 300;

const PATTERN = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9_])?)):(\d{1,5})$/;

/** Parses `"host:port"`; undefined when it is not one (the caller names the field). The host comes without brackets. */
export function parseAddress(address: unknown): HostPort | undefined {
  if (typeof address !== "string" || address.length > MAX_ADDRESS_LENGTH) return undefined;
  const m = PATTERN.exec(address);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

export function isAddress(value: unknown): value is string {
  return parseAddress(value) !== undefined;
}

/** `"host:port"`, with an IPv6 host in brackets (a host already in brackets is left as it is). */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A wildcard host accepts connections on every interface but cannot be dialed. */
export function isWildcardHost(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]" || host === "::0";
}

/** What a node sends as its own address: the configured one, or the bound one unless it cannot be dialed. */
export function advertisedAddress(advertise: string | undefined, host: string, boundPort: number): string | undefined {
  if (advertise !== undefined) return advertise;
  return isWildcardHost(host) ? undefined : formatAddress(host, boundPort);
}

/** A `"host:port"` option (zod). */
export const addressSchema = z.string().refine(isAddress, { message: 'must be "host:port" (IPv6 as "[::1]:7002")' });
