import { TcpProxy } from "@raft/core/testing";

/**
 * One `TcpProxy` per ordered pair of nodes: node a dials node b at the proxy
 * `a→b` (its `dialVia` for b), whatever address membership gives b. Each
 * link can then be broken from outside, no root needed.
 *
 * Which end dials a connection is the transport's business (gRPC opens one
 * call per direction; WebSocket may carry both directions on one connection
 * dialed by either end), so every fault here acts on both proxies of a pair:
 * the bytes from a to b travel client→server through `a→b` and
 * server→client through `b→a`.
 */
export class ProxyMesh {
  private constructor(private readonly proxies: ReadonlyMap<string, TcpProxy>) {}

  /** Starts a proxy for every ordered pair of `ids`, each in front of `addressOf(target)`. */
  static async listen(ids: readonly number[], addressOf: (id: number) => string): Promise<ProxyMesh> {
    const proxies = new Map<string, TcpProxy>();
    try {
      for (const a of ids) for (const b of ids) if (a !== b) proxies.set(key(a, b), await TcpProxy.listen(addressOf(b)));
    } catch (error) {
      await Promise.allSettled([...proxies.values()].map((p) => p.close()));
      throw error;
    }
    return new ProxyMesh(proxies);
  }

  /** Node `id`'s dial overrides: every other node through the proxy `id→peer`. */
  dialVia(id: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, proxy] of this.proxies) {
      const [from, to] = k.split(">");
      if (Number(from) === id) out[to as string] = proxy.address;
    }
    return out;
  }

  private proxy(a: number, b: number): TcpProxy {
    const p = this.proxies.get(key(a, b));
    if (p === undefined) throw new Error(`no proxy ${a}→${b}`);
    return p;
  }

  /** No connection between a and b, either way: existing ones are reset, new ones refused. */
  cut(a: number, b: number): void {
    this.proxy(a, b).cut();
    this.proxy(b, a).cut();
  }

  /** What a sends to b vanishes; what b sends to a still arrives (a one-way partition). */
  dropFrom(a: number, b: number): void {
    this.proxy(a, b).blackhole("client-to-server");
    this.proxy(b, a).blackhole("server-to-client");
  }

  /** Every byte between a and b, either way, arrives `ms` later. */
  delay(a: number, b: number, ms: number): void {
    this.proxy(a, b).delay(ms);
    this.proxy(b, a).delay(ms);
  }

  /** A clean link between a and b again. */
  heal(a: number, b: number): void {
    this.proxy(a, b).restore();
    this.proxy(b, a).restore();
  }

  healAll(): void {
    for (const p of this.proxies.values()) p.restore();
  }

  /** Connections accepted and bytes relayed by every proxy so far. */
  totals(): { connections: number; bytes: number } {
    let connections = 0;
    let bytes = 0;
    for (const p of this.proxies.values()) {
      const s = p.stats();
      connections += s.accepted;
      bytes += s.bytes.clientToServer + s.bytes.serverToClient;
    }
    return { connections, bytes };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.proxies.values()].map((p) => p.close()));
  }
}

function key(a: number, b: number): string {
  return `${a}>${b}`;
}
