import { ServerCredentials, type Server as GrpcServer } from "@grpc/grpc-js";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, TLSSocket } from "node:tls";
import { formatAddress, RaftError, REJECT_HEADER, refusalResponse, SNAPSHOT_CHANNEL, type TlsOptions } from "@raft/core/contracts";
import type { ConnectionAuth } from "./handshake.js";

export interface ListenerHooks {
  /** An HTTP/1.1 upgrade to the snapshot channel (`snapshotChannel` on): the transport checks it, then answers on `socket`. */
  onSnapshotChannel(request: IncomingMessage, socket: Socket): void;
  /** A connection refused before any call: bad HTTP, or a TLS handshake that failed. */
  onRefused(reason: "bad-http" | "tls", detail: string, remote: string): void;
}

/** The first byte of HTTP/2's connection preface (`PRI * HTTP/2.0`): gRPC. Anything else is HTTP/1.1. */
const HTTP2_PREFACE_START = 0x50;

/**
 * The transport's one port, owned here rather than by grpc-js so it can
 * serve two protocols: gRPC (HTTP/2), handed to the grpc-js server through
 * its connection injector, and the snapshot channel (an HTTP/1.1 upgrade,
 * see the transport kit's snapshot-channel/protocol.ts). Over TLS this
 * terminates TLS itself (with the same certificate, CA and client
 * certificate request grpc-js would use) and tells the two apart by ALPN;
 * in plaintext, by the first byte. grpc-js still sees the TLS socket, so
 * its calls report the peer's certificate as before.
 */
export class Listener {
  private constructor(
    private readonly server: NetServer,
    private readonly sockets: Set<Socket>,
    private readonly grpc: ReturnType<GrpcServer["createConnectionInjector"]>,
    /** The bound port (the real one when the port asked for was 0). */
    readonly port: number,
  ) {}

  static async open(host: string, port: number, tls: TlsOptions | undefined, connectMs: number, grpcServer: GrpcServer, hooks: ListenerHooks): Promise<Listener> {
    const grpc = grpcServer.createConnectionInjector(ServerCredentials.createInsecure());
    const http = createHttpServer();
    // Slow or oversized requests are cut before they cost anything.
    http.headersTimeout = connectMs;
    http.requestTimeout = connectMs;
    http.maxHeadersCount = 64;
    http.on("request", (req: IncomingMessage, res) => {
      hooks.onRefused("bad-http", `${req.method ?? "?"} without an upgrade`, remoteOf(req.socket));
      res.writeHead(400, { connection: "close", [REJECT_HEADER]: "protocol" }).end();
    });
    http.on("upgrade", (req: IncomingMessage, socket: Socket) => {
      if (req.headers.upgrade?.toLowerCase() === SNAPSHOT_CHANNEL) return hooks.onSnapshotChannel(req, socket);
      hooks.onRefused("bad-http", `an upgrade to ${String(req.headers.upgrade).slice(0, 64)}`, remoteOf(socket));
      socket.end(refusalResponse(400, "protocol"), () => socket.destroy());
    });
    http.on("clientError", (error: Error & { code?: string }, socket: Socket) => {
      hooks.onRefused("bad-http", error.code ?? error.message, remoteOf(socket));
      socket.destroy();
    });
    const route = (socket: Socket, isGrpc: boolean) => {
      if (isGrpc) grpc.injectConnection(socket);
      else http.emit("connection", socket);
    };

    const sockets = new Set<Socket>();
    const track = (socket: Socket) => {
      sockets.add(socket);
      socket.on("error", () => {}); // reported by grpc-js, the HTTP server or the transport
      socket.once("close", () => sockets.delete(socket));
    };
    let server: NetServer;
    if (tls === undefined) {
      server = createNetServer((socket) => {
        track(socket);
        // A connection that says nothing is dropped after `connectMs` (over TLS, the handshake's own timeout does this).
        const silent = () => socket.destroy();
        socket.setTimeout(connectMs);
        socket.once("timeout", silent);
        socket.once("readable", () => {
          const first = socket.read(1) as Buffer | null;
          if (first === null) return;
          socket.setTimeout(0);
          socket.off("timeout", silent);
          socket.unshift(first);
          route(socket, first[0] === HTTP2_PREFACE_START);
        });
      });
    } else {
      const tlsServer = createTlsServer(
        {
          cert: tls.cert,
          key: tls.key,
          ca: tls.ca,
          // As grpc-js's own secure server: under mutual TLS a missing or unverified certificate is refused by the handshake checks, where it is counted and logged.
          requestCert: tls.requireClientCert,
          rejectUnauthorized: false,
          ALPNProtocols: ["h2", "http/1.1"],
          handshakeTimeout: connectMs,
        },
        (socket: TLSSocket) => route(socket, socket.alpnProtocol === "h2"),
      );
      tlsServer.on("connection", track);
      tlsServer.on("tlsClientError", (error: Error & { code?: string }, socket: TLSSocket) => {
        hooks.onRefused("tls", error.code ?? error.message, remoteOf(socket));
        socket.destroy();
      });
      server = tlsServer;
    }

    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error & { code?: string }) => reject(new RaftError("Unavailable", `cannot listen on ${formatAddress(host, port)}: ${error.code ?? error.message}`, { cause: error }));
      server.once("error", onError);
      server.listen(port, host, () => {
        server.off("error", onError);
        resolve();
      });
    }).catch((e: unknown) => {
      grpc.destroy();
      throw e;
    });
    const bound = server.address();
    return new Listener(server, sockets, grpc, typeof bound === "object" && bound !== null ? bound.port : port);
  }

  /** Stops accepting and drops every connection, gRPC sessions and snapshot channels alike. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.grpc.destroy();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

export function remoteOf(socket: Socket): string {
  return formatAddress(socket.remoteAddress ?? "?", socket.remotePort ?? 0);
}

/** The peer's certificate as grpc-js reports it to a call: only over TLS, and only when it verified against the CA. */
export function connectionAuth(socket: Socket): ConnectionAuth | null {
  return socket instanceof TLSSocket && socket.authorized ? { sslPeerCertificate: socket.getPeerCertificate() } : null;
}
