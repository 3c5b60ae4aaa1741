import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { acceptResponse, formatAddress, RaftError, refusalResponse, REQUEST_HEADER, SNAPSHOT_CHANNEL, type NodeId } from "@raft/core/contracts";
import { WebSocketServer, type WebSocket } from "ws";
import { acceptHeaders, checkPeer, checkUpgrade, SUBPROTOCOL, type LocalIdentity, type PeerCredentials, type UpgradeVerdict } from "./handshake.js";
import type { ResolvedOptions } from "./options.js";
import type { ConnectionRejectReason } from "./rejection.js";

export interface ListenerHooks {
  /** An upgrade that passed every check: `peer` is the authenticated dialer, `advertised` where it says it can be dialed. */
  onAccepted(ws: WebSocket, peer: NodeId, remote: string, advertised: string | undefined): void;
  onRefused(reason: ConnectionRejectReason, detail: string, remote: string): void;
  /** A snapshot-channel upgrade that passed the same checks, answered with its 101: the socket is the fetch's, `request` its header (unchecked). */
  onSnapshotChannel(socket: Socket, peer: NodeId, request: unknown): void;
  /** Unless `acceptUnknownPeers`: whether `id` has an address (configured or from membership). */
  isKnownPeer(id: NodeId): boolean;
}

/**
 * Accepts peers: an HTTP(S) server whose only purpose is the WebSocket
 * upgrade, and (unless `snapshotChannel` is off) the snapshot channel's
 * (the transport kit's snapshot channel). TLS (and mTLS) is checked by the TLS layer, then
 * the upgrade's headers by `checkUpgrade` or `checkPeer`; anything else is
 * refused and reported.
 */
export class Listener {
  private constructor(
    private readonly server: Server,
    /** Every socket accepted, upgraded or not, so `close()` can drop them all. */
    private readonly sockets: Set<Socket>,
    private readonly wss: WebSocketServer,
    /** The bound port (the real one when `listen.port` was 0). */
    readonly port: number,
    /** The bound `host:port`. */
    readonly address: string,
  ) {}

  static async open(o: ResolvedOptions, hooks: ListenerHooks): Promise<Listener> {
    const server: Server =
      o.tls === undefined
        ? createHttpServer()
        : createHttpsServer({
            cert: o.tls.cert,
            key: o.tls.key,
            ca: o.tls.ca,
            requestCert: o.tls.requireClientCert,
            rejectUnauthorized: o.tls.requireClientCert,
            handshakeTimeout: o.deadlines.connectMs,
          });
    // Slow or oversized requests are cut before they cost anything.
    server.headersTimeout = o.deadlines.connectMs;
    server.requestTimeout = o.deadlines.connectMs;
    server.maxHeadersCount = 64;
    const local: LocalIdentity = { id: o.id, clusterId: o.clusterId, token: undefined };
    const credentials: PeerCredentials = { secret: o.secret, requireClientCert: o.tls?.requireClientCert === true };
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: o.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      skipUTF8Validation: true,
      handleProtocols: () => SUBPROTOCOL,
    });
    wss.on("headers", (headers) => headers.push(...acceptHeaders(local)));

    const sockets = new Set<Socket>();
    server.on("connection", (socket: Socket) => {
      sockets.add(socket);
      socket.on("error", () => {}); // reported through the server's events below, or the connection's
      socket.once("close", () => sockets.delete(socket));
    });
    server.on("secureConnection", (socket: Socket) => socket.on("error", () => {}));
    server.on("tlsClientError", (error: Error & { code?: string }, socket: Socket) => {
      hooks.onRefused("tls", error.code ?? error.message, remoteOf(socket));
      socket.destroy();
    });
    server.on("clientError", (error: Error & { code?: string }, socket: Socket) => {
      hooks.onRefused("bad-http", error.code ?? error.message, remoteOf(socket));
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n", () => socket.destroy());
      else socket.destroy();
    });
    server.on("request", (req: IncomingMessage, res) => {
      hooks.onRefused("not-websocket", `${req.method ?? "?"} without an upgrade`, remoteOf(req.socket));
      res.writeHead(426, { connection: "close", upgrade: "websocket" }).end();
    });
    server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const remote = remoteOf(socket);
      const certificate = socket instanceof TLSSocket ? socket.getPeerCertificate() : undefined;
      const knownPeer = o.acceptUnknownPeers ? undefined : hooks.isKnownPeer;
      const channel = o.snapshotChannel && req.headers.upgrade?.toLowerCase() === SNAPSHOT_CHANNEL;
      const verdict: UpgradeVerdict = channel ? checkPeer(req.headers, certificate, local, credentials, knownPeer) : checkUpgrade(req.headers, certificate, local, credentials, knownPeer);
      if (!verdict.ok) {
        hooks.onRefused(verdict.reason, verdict.detail, remote);
        socket.end(refusalResponse(verdict.status, verdict.reason), () => socket.destroy());
        return;
      }
      if (channel) {
        socket.write(acceptResponse(acceptHeaders(local)));
        hooks.onSnapshotChannel(socket, verdict.peer, req.headers[REQUEST_HEADER]);
        return;
      }
      const peer = verdict.peer;
      const advertised = verdict.advertised;
      wss.handleUpgrade(req, socket, head, (ws) => hooks.onAccepted(ws, peer, remote, advertised));
    });

    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error & { code?: string }) =>
        reject(new RaftError("Unavailable", `cannot listen on ${formatAddress(o.listen.host, o.listen.port)}: ${error.code ?? error.message}`, { cause: error }));
      server.once("error", onError);
      server.listen(o.listen.port, o.listen.host, () => {
        server.off("error", onError);
        resolve();
      });
    });
    const bound = server.address();
    const port = typeof bound === "object" && bound !== null ? bound.port : o.listen.port;
    return new Listener(server, sockets, wss, port, formatAddress(o.listen.host, port));
  }

  /** Stops accepting and drops every socket still open, handshakes included. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.wss.close();
    await closed;
  }
}

function remoteOf(socket: Socket): string {
  const host = socket.remoteAddress ?? "?";
  return formatAddress(host, socket.remotePort ?? 0);
}
