/** A peer's `host:port` (IPv6 hosts in brackets: `[::1]:7002`). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const pattern = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/;

/** Parses `host:port`; undefined when it is not one (the caller names the field). */
export function parseAddress(address: string): HostPort | undefined {
  const m = typeof address === "string" ? pattern.exec(address) : null;
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

/** The `host:port` form, with IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
