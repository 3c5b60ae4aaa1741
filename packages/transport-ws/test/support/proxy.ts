import { connect, createServer, type Socket } from "node:net";

/** A TCP relay between a dialer and a listener, to break or stall connections from outside. */
export interface TcpProxy {
  readonly address: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Destroys every relayed connection (both sockets), as a crashed host or a reset would. */
  killAll(): void;
  /** Stops relaying bytes on every current connection without closing it: a silent, half-dead peer. */
  stallAll(): void;
  close(): Promise<void>;
}

export async function tcpProxy(targetAddress: string): Promise<TcpProxy> {
  const [host, port] = [targetAddress.slice(0, targetAddress.lastIndexOf(":")), Number(targetAddress.slice(targetAddress.lastIndexOf(":") + 1))];
  const pairs = new Set<[Socket, Socket]>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted++;
    const upstream = connect(port, host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port: own } = server.address() as { port: number };
  const killAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
  };
  return {
    address: `127.0.0.1:${own}`,
    get accepted() {
      return accepted;
    },
    killAll,
    stallAll() {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    close() {
      killAll();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
