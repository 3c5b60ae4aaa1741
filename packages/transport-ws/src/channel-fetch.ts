import { request as httpRequest, type IncomingMessage } from "node:http";
import { connect as netConnect, type OnReadOpts, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { ChunkBuffers, formatAddress, isRaftError, parseAddress, RaftError, type NodeId, type SnapshotRequest } from "@raft/core/contracts";
import type { FetchSettings } from "./fetch-snapshot.js";
import { peerError } from "./frame-router.js";
import { checkAccepted, dialHeaders, HEADERS, type LocalIdentity } from "./handshake.js";
import type { ResolvedOptions } from "./options.js";
import { deliver, IncomingSnapshot } from "./incoming-snapshot.js";
import { creditFrame, FRAME, FRAME_HEAD_BYTES, MAX_ERROR_BYTES, REQUEST_HEADER, SNAPSHOT_CHANNEL, type ChannelRequest } from "./snapshot-channel.js";

/** The listener does not speak the snapshot channel (an older node, or `snapshotChannel: false`): fetch over the peer connection instead. */
export class ChannelUnsupported extends Error {}

/** What the socket is read into, every time: its pieces are copied into chunks at once. */
const READ_BUFFER_BYTES = 256 * 1024;

/** The abort's own reason when it is a `RaftError`, else `Aborted`. */
function aborted(signal: AbortSignal): RaftError {
  return isRaftError(signal.reason) ? signal.reason : new RaftError("Aborted", "the snapshot fetch was aborted");
}

/**
 * Reads one snapshot file range from `peer` over a snapshot channel of its
 * own (snapshot-channel.ts), with the same credit, window and deadlines as
 * over the peer connection (`fetchOverConnection`): yields chunks as they
 * arrive, returns credit as the consumer takes them, and closes the socket
 * (which cancels the server's stream) when the consumer stops or `signal`
 * aborts. `closing` (the transport's) fails it with its reason. Rejects with
 * `ChannelUnsupported`, before any chunk, if the listener refuses the upgrade
 * for its protocol.
 */
export async function* fetchOverChannel(
  peer: NodeId,
  address: string,
  local: LocalIdentity,
  o: ResolvedOptions,
  request: SnapshotRequest,
  signal: AbortSignal,
  closing: AbortSignal,
  s: FetchSettings,
): AsyncGenerator<Uint8Array> {
  if (signal.aborted) throw aborted(signal);
  if (closing.aborted) throw aborted(closing);
  const buffers = s.reuseBuffers ? new ChunkBuffers() : undefined;
  let socket: Socket | undefined;
  const incoming = new IncomingSnapshot(0, s.windowChunks, s.idleMs, (credit) => socket?.write(creditFrame(credit)), buffers);
  const maxChunkBytes = s.maxFrameBytes - FRAME_HEAD_BYTES;
  const frames = new ChannelFrames(peer, maxChunkBytes, incoming, buffers);
  // The upgrade stops on either signal (`AbortSignal.any` needs Node 20.3); the stream watches `signal` itself.
  const connecting = new AbortController();
  const onAbort = () => connecting.abort(signal.reason);
  const onClosing = () => {
    connecting.abort(closing.reason);
    incoming.fail(aborted(closing));
    socket?.destroy();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  closing.addEventListener("abort", onClosing, { once: true });
  try {
    socket = await upgrade(peer, address, local, o, { request, credit: s.windowChunks, maxChunkBytes }, connecting.signal, frames);
    yield* deliver(incoming, signal, s.onChunk);
  } finally {
    signal.removeEventListener("abort", onAbort);
    closing.removeEventListener("abort", onClosing);
    incoming.fail(new RaftError("Aborted", "the reader stopped"));
    socket?.destroy();
  }
}

/**
 * The HTTP upgrade, through node:http on a socket that reads into one reused
 * buffer (`onread`): until the 101, each read goes to node:http's parser as
 * a copy; from then on every byte goes to `frames`. Resolves with the
 * upgraded socket.
 */
function upgrade(peer: NodeId, address: string, local: LocalIdentity, o: ResolvedOptions, asked: ChannelRequest, signal: AbortSignal, frames: ChannelFrames): Promise<Socket> {
  const hp = parseAddress(address);
  if (hp === undefined) return Promise.reject(new RaftError("Unavailable", `node ${peer} has no valid address (${address})`));
  const where = `node ${peer} at ${formatAddress(hp.host, hp.port)}`;
  let socket: Socket | undefined;
  let upgraded = false;
  const onread: OnReadOpts = {
    buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES),
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      if (upgraded) frames.feed(buffer, bytes);
      else socket?.emit("data", Buffer.from(buffer.subarray(0, bytes)));
      return true;
    },
  };
  const createConnection = (): Socket => {
    const { tls } = o;
    socket =
      tls === undefined
        ? netConnect({ host: hp.host, port: hp.port, onread })
        : tlsConnect(withOnread({ host: hp.host, port: hp.port, ca: tls.ca, cert: tls.cert, key: tls.key, ...(tls.serverName === undefined ? {} : { servername: tls.serverName }) }, onread));
    frames.watch(socket);
    return socket;
  };
  const headers = { ...dialHeaders(local, peer), connection: "Upgrade", upgrade: SNAPSHOT_CHANNEL, [REQUEST_HEADER]: JSON.stringify(asked) };
  const req = httpRequest({ host: hp.host, port: hp.port, path: "/raft/snapshot", headers, createConnection, timeout: o.deadlines.connectMs });
  return new Promise<Socket>((resolve, reject) => {
    const onAbort = () => req.destroy(aborted(signal));
    const settle = (error: Error | undefined, upgradedSocket?: Socket) => {
      signal.removeEventListener("abort", onAbort);
      if (error === undefined && upgradedSocket !== undefined) return resolve(upgradedSocket);
      socket?.destroy();
      reject(error);
    };
    req.on("upgrade", (res: IncomingMessage, upgradedSocket: Socket, head: Buffer) => {
      const problem = res.headers.upgrade?.toLowerCase() !== SNAPSHOT_CHANNEL ? `it upgraded to ${String(res.headers.upgrade)}` : checkAccepted(res.headers, local, peer);
      if (problem !== undefined) return settle(new RaftError("Unavailable", `cannot fetch a snapshot from ${where}: ${problem}`));
      upgraded = true;
      frames.feed(head, head.length);
      settle(undefined, upgradedSocket);
    });
    req.on("response", (res: IncomingMessage) => {
      res.resume();
      const reason = res.headers[HEADERS.reject];
      if (res.statusCode === 400 && reason === "protocol") return settle(new ChannelUnsupported(`${where} does not serve the snapshot channel`));
      settle(new RaftError("Unavailable", `cannot fetch a snapshot from ${where}: refused: HTTP ${res.statusCode ?? "?"}${typeof reason === "string" ? ` ${reason.slice(0, 64)}` : ""}`));
    });
    req.on("timeout", () => req.destroy(new RaftError("Unavailable", `cannot fetch a snapshot from ${where}: no answer to the upgrade within ${o.deadlines.connectMs} ms`)));
    req.on("error", (e: Error & { code?: string }) => settle(isRaftError(e) ? e : new RaftError("Unavailable", `cannot fetch a snapshot from ${where}: ${e.code ?? e.message}`, { cause: e })));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    req.end();
  });
}

/** `tls.connect` takes `onread` as `net.connect` does (when it makes the socket itself), though @types/node leaves it out. */
function withOnread(options: ConnectionOptions, onread: OnReadOpts): ConnectionOptions {
  return Object.assign(options, { onread });
}

/**
 * The reader's frame parser: takes the pieces the socket reads (its one
 * reused buffer, overwritten by the next read), fills each DATA frame's
 * chunk (a reused buffer, or a new one the consumer keeps) and hands
 * complete chunks, END and ERROR to the stream.
 */
class ChannelFrames {
  private readonly head = Buffer.alloc(FRAME_HEAD_BYTES);
  private headFilled = 0;
  /** The frame whose payload is being read: a DATA chunk, or an ERROR's text. */
  private body: { type: number; bytes: Uint8Array; filled: number } | undefined;

  constructor(
    private readonly peer: NodeId,
    private readonly maxChunkBytes: number,
    private readonly incoming: IncomingSnapshot,
    private readonly buffers: ChunkBuffers | undefined,
  ) {}

  /** A broken or closed socket fails the stream (after END, nothing happens). */
  watch(socket: Socket): void {
    socket.on("error", (e: Error & { code?: string }) => this.incoming.fail(new RaftError("Unavailable", `the snapshot channel from node ${this.peer} failed: ${e.code ?? e.message}`)));
    socket.on("close", () => this.incoming.fail(new RaftError("Unavailable", `the snapshot channel from node ${this.peer} closed before the end of the range`)));
  }

  /** Takes the first `length` bytes of `piece`. */
  feed(piece: Uint8Array, length: number): void {
    let at = 0;
    while (at < length && !this.incoming.finished) {
      const body = this.body;
      if (body === undefined) {
        const n = Math.min(FRAME_HEAD_BYTES - this.headFilled, length - at);
        this.head.set(piece.subarray(at, at + n), this.headFilled);
        this.headFilled += n;
        at += n;
        if (this.headFilled === FRAME_HEAD_BYTES) this.startFrame();
        continue;
      }
      const n = Math.min(body.bytes.length - body.filled, length - at);
      body.bytes.set(piece.subarray(at, at + n), body.filled);
      body.filled += n;
      at += n;
      if (body.filled === body.bytes.length) this.endFrame(body);
    }
  }

  private startFrame(): void {
    this.headFilled = 0;
    const type = this.head[0];
    const length = this.head.readUInt32BE(1);
    if (type === FRAME.end && length === 0) return this.incoming.end();
    if (type === FRAME.data && length >= 1 && length <= this.maxChunkBytes) {
      if (!this.incoming.hasCredit) return this.violation("a chunk beyond the credit granted");
      this.body = { type, bytes: this.buffers === undefined ? new Uint8Array(length) : this.buffers.reserve(length), filled: 0 };
      return;
    }
    if (type === FRAME.error && length <= MAX_ERROR_BYTES) {
      this.body = { type, bytes: new Uint8Array(length), filled: 0 };
      if (length === 0) this.endFrame(this.body);
      return;
    }
    this.violation(`a malformed frame (type ${String(type)}, ${length} bytes)`);
  }

  private endFrame(body: { type: number; bytes: Uint8Array }): void {
    this.body = undefined;
    if (body.type === FRAME.data) {
      this.incoming.push(body.bytes, this.buffers !== undefined);
      return;
    }
    let reported: { code?: unknown; message?: unknown } = {};
    try {
      reported = JSON.parse(Buffer.from(body.bytes).toString("utf8")) as typeof reported;
    } catch {
      // Reported below without a readable reason.
    }
    this.incoming.serverFailed(
      peerError(this.peer, typeof reported.code === "string" ? reported.code : "Unavailable", typeof reported.message === "string" ? reported.message : "the snapshot stream failed"),
    );
  }

  private violation(what: string): void {
    this.incoming.fail(new RaftError("InvalidMessage", `node ${this.peer} sent ${what} on the snapshot channel`));
  }
}
