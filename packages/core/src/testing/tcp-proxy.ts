import { connect, createServer, type Server, type Socket } from "node:net";

/** Which bytes a one-way fault applies to: those the client sends, those the server sends, or both. */
export type TcpProxyDirection = "both" | "client-to-server" | "server-to-client";

/** Counters of a `TcpProxy`. They start at zero and only grow, except `open`. */
export interface TcpProxyStats {
  /** TCP connections accepted from clients, those reset at once because the link was cut included. */
  readonly accepted: number;
  /** Connections reset on arrival because the link was cut. */
  readonly refused: number;
  /** Relayed connections open now. */
  readonly open: number;
  /** Bytes relayed, by direction. */
  readonly bytes: { readonly clientToServer: number; readonly serverToClient: number };
  /** Bytes swallowed by a blackhole, by direction. */
  readonly dropped: { readonly clientToServer: number; readonly serverToClient: number };
}

type Way = "clientToServer" | "serverToClient";

interface Counters {
  accepted: number;
  refused: number;
  bytes: Record<Way, number>;
  dropped: Record<Way, number>;
}

/** What a relay asks the proxy about the link's state. */
interface LinkState {
  dropping(way: Way): boolean;
  delayMs(): number;
  readonly counters: Counters;
}

/**
 * One direction of one relayed connection: forwards what `from` sends to
 * `to`, in order, after the link's delay (if any), or swallows it while that
 * direction is blackholed (a FIN included). Backpressure: `from` is paused
 * while `to` cannot take more.
 */
class Relay {
  private readonly queue: { chunk: Buffer | "end"; due: number }[] = [];
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly way: Way,
    private readonly link: LinkState,
  ) {
    from.on("data", (chunk: Buffer) => {
      if (this.link.dropping(this.way)) this.link.counters.dropped[this.way] += chunk.length;
      else this.push(chunk);
    });
    from.on("end", () => {
      if (!this.link.dropping(this.way)) this.push("end");
    });
  }

  /** Runs `then` once everything received so far has been handed to `to`. */
  whenDrained(then: () => void): void {
    if (this.queue.length === 0) then();
    else this.drained = then;
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.drained = undefined;
  }

  private push(chunk: Buffer | "end"): void {
    const delay = this.link.delayMs();
    if (delay <= 0 && this.queue.length === 0) return this.forward(chunk);
    // Never before what came earlier, whatever the delay was then.
    this.lastDue = Math.max(performance.now() + delay, this.lastDue);
    this.queue.push({ chunk, due: this.lastDue });
    this.schedule();
  }

  private schedule(): void {
    const head = this.queue[0];
    if (this.timer !== undefined || head === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        const now = performance.now();
        for (let next = this.queue[0]; next !== undefined && next.due <= now + 1; next = this.queue[0]) {
          this.queue.shift();
          this.forward(next.chunk);
        }
        if (this.queue.length > 0) return this.schedule();
        const then = this.drained;
        this.drained = undefined;
        then?.();
      },
      Math.max(0, head.due - performance.now()),
    );
  }

  private forward(chunk: Buffer | "end"): void {
    if (this.to.destroyed) return;
    if (chunk === "end") {
      this.to.end();
      return;
    }
    this.link.counters.bytes[this.way] += chunk.length;
    if (!this.to.write(chunk) && !this.from.isPaused()) {
      this.from.pause();
      this.to.once("drain", () => this.from.resume());
    }
  }
}

/** A client's connection and the proxy's connection to the target, relayed both ways. */
class Pair {
  private gone = false;
  private readonly relays: readonly [Relay, Relay];

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    link: LinkState,
    private readonly onGone: (pair: Pair) => void,
  ) {
    const toServer = new Relay(client, upstream, "clientToServer", link);
    const toClient = new Relay(upstream, client, "serverToClient", link);
    this.relays = [toServer, toClient];
    // A reset (or a failed connection to the target) on one side is passed on as a reset to the other.
    client.on("error", () => this.drop(true));
    upstream.on("error", () => this.drop(true));
    // An orderly close: the other side closes once it has what was relayed to it.
    client.on("close", () => this.closed(upstream, toServer));
    upstream.on("close", () => this.closed(client, toClient));
  }

  /** Ends both sockets at once: with a TCP reset (`reset`), as a crashed host or a cut cable looks to its peers, or by closing them. */
  drop(reset: boolean): void {
    if (this.gone) return;
    this.finish();
    for (const s of [this.client, this.upstream]) {
      if (s.destroyed) continue;
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
  }

  private closed(other: Socket, fromClosed: Relay): void {
    if (this.gone) return;
    if (other.destroyed) return this.finish();
    fromClosed.whenDrained(() => other.destroySoon());
  }

  private finish(): void {
    this.gone = true;
    for (const r of this.relays) r.stop();
    this.onGone(this);
  }
}

/**
 * A TCP relay for fault tests over real sockets: it listens on 127.0.0.1 (a
 * free port) and forwards each connection to `target`. Point a node's
 * address for a peer at `proxy.address` instead of the peer's, then break
 * the link from outside:
 *
 * - `cut()`: resets every relayed connection and resets new ones on arrival
 *   until `restore()` — a pulled cable, or a peer's host rebooting;
 * - `blackhole(direction)`: connections stay up (and new ones are accepted)
 *   but the bytes going one way, or both, vanish — a one-way partition, or a
 *   silent peer that only keepalives can detect;
 * - `delay(ms)`: each chunk, each way, is forwarded `ms` later (in order);
 * - `restore()`: a clean link again (no cut, no blackhole, no delay). Bytes
 *   swallowed meanwhile stay lost: a stream that lost some is corrupt;
 * - `close()`: stops listening and closes everything.
 *
 * Plain Node, no test runner: usable from any harness.
 *
 * ```ts
 * const proxy = await TcpProxy.listen(nodeB.address);
 * nodeA.updatePeers(new Map([[2, proxy.address]]));
 * proxy.cut();
 * // ...
 * proxy.restore();
 * ```
 */
export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private readonly counters: Counters = { accepted: 0, refused: 0, bytes: { clientToServer: 0, serverToClient: 0 }, dropped: { clientToServer: 0, serverToClient: 0 } };
  private isCut = false;
  private blackholed: TcpProxyDirection | undefined;
  private delayMs = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** Where clients dial: `127.0.0.1:<port>`. */
    readonly address: string,
    /** Where connections are forwarded: `host:port`. */
    readonly target: string,
  ) {}

  /** Starts a proxy on 127.0.0.1, a free port, in front of `target` (`"host:port"`, IPv6 as `"[::1]:7002"`). */
  static async listen(target: string): Promise<TcpProxy> {
    const { host, port } = parseTarget(target);
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const bound = server.address() as { port: number };
    const proxy = new TcpProxy(server, `127.0.0.1:${bound.port}`, target);
    server.on("connection", (client: Socket) => proxy.accept(client, host, port));
    return proxy;
  }

  /** The port clients dial. */
  get port(): number {
    return Number(this.address.slice(this.address.lastIndexOf(":") + 1));
  }

  /** Resets every relayed connection (both sides) and resets new connections on arrival, until `restore()`. */
  cut(): void {
    this.isCut = true;
    for (const pair of [...this.pairs]) pair.drop(true);
  }

  /** Keeps connections up (and accepts new ones) but silently drops the bytes going `direction` (default both), until `restore()`. */
  blackhole(direction: TcpProxyDirection = "both"): void {
    if (direction !== "both" && direction !== "client-to-server" && direction !== "server-to-client") throw new TypeError(`TcpProxy: unknown direction ${String(direction)}`);
    this.blackholed = direction;
  }

  /** Forwards each chunk `ms` later, each way (order kept); 0 for none. Applies to bytes that arrive from now on. */
  delay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`TcpProxy: delay must be a non-negative number of ms (got ${ms})`);
    this.delayMs = ms;
  }

  /** A clean link again: no cut, no blackhole, no delay. New connections are relayed; what was dropped stays lost. */
  restore(): void {
    this.isCut = false;
    this.blackholed = undefined;
    this.delayMs = 0;
  }

  stats(): TcpProxyStats {
    const c = this.counters;
    return { accepted: c.accepted, refused: c.refused, open: this.pairs.size, bytes: { ...c.bytes }, dropped: { ...c.dropped } };
  }

  /** Stops listening and closes every connection; resolves once the listening socket is closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const pair of [...this.pairs]) pair.drop(false);
    });
    return this.closing;
  }

  private accept(client: Socket, host: string, port: number): void {
    this.counters.accepted++;
    if (this.isCut || this.closing !== undefined) {
      if (this.isCut) this.counters.refused++;
      client.on("error", () => {});
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = connect({ host, port, allowHalfOpen: true, noDelay: true });
    const pair = new Pair(client, upstream, this.linkState, (p) => this.pairs.delete(p));
    this.pairs.add(pair);
  }

  private readonly linkState: LinkState = {
    dropping: (way) => this.blackholed === "both" || (way === "clientToServer" ? this.blackholed === "client-to-server" : this.blackholed === "server-to-client"),
    delayMs: () => this.delayMs,
    counters: this.counters,
  };
}

function parseTarget(target: string): { host: string; port: number } {
  const colon = typeof target === "string" ? target.lastIndexOf(":") : -1;
  const port = Number(colon < 0 ? NaN : target.slice(colon + 1));
  let host = colon < 0 ? "" : target.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host.length === 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`TcpProxy: target must be "host:port" (got ${JSON.stringify(target)})`);
  return { host, port };
}
