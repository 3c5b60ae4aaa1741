import { Metadata, status } from "@grpc/grpc-js";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { acceptResponse, refusalResponse, REQUEST_HEADER, type ChannelServer, type NodeId } from "@raft/core/contracts";
import { checkCaller, checkServer, META, serverMetadata } from "./handshake.js";
import { connectionAuth, remoteOf } from "./listener.js";
import type { ServerContext } from "./server-context.js";

// The snapshot channel (the transport kit's snapshot-channel/protocol.ts)
// speaks HTTP/1.1 on the gRPC port. Its upgrade carries the same identity as
// a call's metadata, in headers of the same names, and is checked by the same
// `checkCaller`; the 101 names the server as a call's first metadata does.

/** HTTP statuses for the gRPC statuses a refused handshake carries. */
const HTTP_STATUS: Partial<Record<status, number>> = {
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.INVALID_ARGUMENT]: 400,
  [status.FAILED_PRECONDITION]: 421,
};

/** Metadata's text values as HTTP headers: what a channel's upgrade and its 101 carry. */
export function asHeaders(md: Metadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(md.getMap())) if (typeof value === "string") headers[name] = value;
  return headers;
}

/** The raft metadata among HTTP headers (each once, as text), as a call would carry it. */
function metadataOf(headers: IncomingHttpHeaders): Metadata {
  const md = new Metadata();
  for (const key of Object.values(META)) {
    const value = headers[key];
    if (typeof value === "string") md.set(key, value);
  }
  return md;
}

/** Whether a 101's headers name the node and cluster the reader meant to reach (`checkServer`). */
export function checkChannelServer(headers: IncomingHttpHeaders, clusterId: string, expected: NodeId): string | undefined {
  return checkServer(metadataOf(headers), clusterId, expected);
}

/**
 * Answers a snapshot channel's upgrade: refuses it (counted and logged as a
 * refused call) unless the caller passes the handshake, else sends the 101
 * and hands the socket to `channels`.
 */
export function acceptChannel(ctx: ServerContext, channels: ChannelServer, req: IncomingMessage, socket: Socket): void {
  const verdict = checkCaller(metadataOf(req.headers), connectionAuth(socket), ctx.policy);
  if (!verdict.ok) {
    ctx.stats.rejectedCalls++;
    ctx.reject(verdict.reason, { caller: verdict.caller, remote: remoteOf(socket), call: "SnapshotChannel" });
    socket.end(refusalResponse(HTTP_STATUS[verdict.code] ?? 403, verdict.reason), () => socket.destroy());
    return;
  }
  ctx.heard(verdict.caller);
  const accepted = asHeaders(serverMetadata(ctx.clusterId, ctx.self));
  socket.write(acceptResponse(Object.entries(accepted).map(([name, value]) => `${name}: ${value}`)));
  channels.serve(socket, verdict.caller, req.headers[REQUEST_HEADER]);
}
