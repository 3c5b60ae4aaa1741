import { connect } from "node:net";
import { encodeMessages, type Message } from "@raft/core/contracts";
import { WebSocket } from "ws";
import { SUBPROTOCOL } from "../../src/index.js";

/** Writes `bytes` on a fresh TCP connection and waits for the other side to close it. */
export function rawTcp(address: string, bytes: Uint8Array): Promise<void> {
  const port = Number(address.slice(address.lastIndexOf(":") + 1));
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => s.write(bytes));
    s.on("close", () => resolve());
    s.on("error", () => {});
    s.resume();
  });
}

/**
 * An upgrade with chosen headers (over TLS trusting `tls.ca`, offering
 * `protocol`); resolves with the HTTP status it was refused with, 101, or
 * the error code of a connection that never got that far.
 */
export function upgrade(address: string, headers: Record<string, string>, options: { tls?: { ca: string }; protocol?: string } = {}): Promise<number | string> {
  const ws = new WebSocket(`${options.tls ? "wss" : "ws"}://${address}/`, [options.protocol ?? SUBPROTOCOL], { headers, ...options.tls });
  return new Promise((resolve) => {
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => {
      resolve(101);
      ws.terminate();
    });
    ws.on("error", (e: Error & { code?: string }) => resolve(e.code ?? e.message));
  });
}

/** A WebSocket that passed the handshake (it holds the token), ready to send junk. */
export async function authenticated(address: string, headers: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${address}/`, [SUBPROTOCOL], { headers, maxPayload: 1 << 30 });
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
  });
  return ws;
}

export function closed(ws: WebSocket): Promise<void> {
  return ws.readyState === ws.CLOSED ? Promise.resolve() : new Promise((r) => ws.once("close", () => r()));
}

/** Sends `data` and resolves once it (and so everything before it) was written to the socket. */
export function sendAndFlush(ws: WebSocket, data: Buffer | string): Promise<void> {
  return new Promise((r) => ws.send(data, () => r()));
}

/** An envelope as the README documents it: version 1, a kind, then the body. */
export function envelope(kind: number, body: Uint8Array | number[] = []): Buffer {
  return Buffer.concat([Buffer.from([1, kind]), Buffer.from(body)]);
}

export const messagesFrame = (messages: readonly Message[]) => envelope(1, encodeMessages(messages));

export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

export function str(s: string): number[] {
  const b = [...Buffer.from(s)];
  return [...varint(b.length), ...b];
}

/** A snapshot request frame (kind 2): stream · credit · maxChunkBytes · id · file · offset · chunkSize. */
export function requestFrame(stream: number, credit: number, id: string, chunkSize: number, file = "state"): Buffer {
  return envelope(2, [...varint(stream), ...varint(credit), ...varint(1 << 20), ...str(id), ...str(file), ...varint(0), ...varint(chunkSize)]);
}
