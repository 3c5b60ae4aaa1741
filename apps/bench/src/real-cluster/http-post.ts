// The load generator's HTTP client: undici pools, one per origin, opened for
// the run and closed after it, so its keep-alive sockets are its own. undici
// spends about half of node:http's CPU per request, and on a 2-core machine
// every microsecond the client spends is taken from the system it measures.
import { Pool } from "undici";

export interface HttpAnswer {
  status: number;
  body: string;
}

/** Keep-alive pools by origin, each with up to `connections` sockets (one per closed-loop client). */
export class Pools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly connections: number) {}

  post(url: URL, body: string, timeoutMs: number): Promise<HttpAnswer> {
    return this.pool(url.origin)
      .request({ method: "POST", path: url.pathname, headers: { "content-type": "application/json" }, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
      .then(async (res) => ({ status: res.statusCode, body: await res.body.text() }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
    this.pools.clear();
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, { connections: this.connections, pipelining: 1 });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

/** A GET for setup and scrapes (not measured), with a short timeout. */
export async function getText(url: string, timeoutMs = 2_000): Promise<HttpAnswer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}
