import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { connect as netConnect, type OnReadOpts, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { isRaftError, RaftError } from "../../../engine/errors.js";
import type { NodeId } from "../../../engine/index.js";
import type { SnapshotRequest } from "../../transport.js";
import { formatAddress, parseAddress } from "../address.js";
import { ChunkBuffers } from "../chunk-buffers.js";
import { deliver, IncomingSnapshot, type FetchSettings } from "./incoming-snapshot.js";
import { creditFrame, FRAME, FRAME_HEAD_BYTES, MAX_ERROR_BYTES, peerError, REJECT_HEADER, REQUEST_HEADER, SNAPSHOT_CHANNEL, type ChannelRequest } from "./protocol.js";

/** How to reach a peer's snapshot channel, and how its transport authenticates both ends. */
export interface ChannelDial {
  readonly peer: NodeId;
  /** The peer's transport address, `host:port`. */
  readonly address: string;
  /** TLS to the peer (the transport's own settings), or undefined for plain TCP. */
  readonly tls: (Pick<ConnectionOptions, "ca" | "cert" | "key"> & { readonly serverName?: string | undefined }) | undefined;
  /** The upgrade must be answered within this. */
  readonly connectMs: number;
  /** The transport's request headers naming and authenticating this node to the peer. */
  readonly headers: Readonly<Record<string, string>>;
  /** What is wrong with the 101's headers (they must name the peer expected), or undefined. */
  checkAccepted(headers: IncomingHttpHeaders): string | undefined;
}

/** The peer does not speak the snapshot channel (an older node, or `snapshotChannel: false`): fetch some other way. */
export class ChannelUnsupported extends Error {}

/** The chunks over the snapshot channel, or some other way (`fallback`) if the peer does not speak it (known before any chunk). */
export async function* preferChannel(channel: () => AsyncIterable<Uint8Array>, fallback: () => AsyncIterable<Uint8Array>, onFallback: (reason: string) => void): AsyncGenerator<Uint8Array> {
  try {
    yield* channel();
  } catch (e) {
    if (!(e instanceof ChannelUnsupported)) throw e;
    onFallback(e.message);
    yield* fallback();
  }
}

/** What the socket is read into, every time: its pieces are copied into chunks at once. */
const READ_BUFFER_BYTES = 256 * 1024;

/** The abort's own reason when it is a `RaftError`, else `Aborted`. */
function aborted(signal: AbortSignal): RaftError {
  return isRaftError(signal.reason) ? signal.reason : new RaftError("Aborted", "the snapshot fetch was aborted");
}

/**
 * Reads one snapshot file range from a peer over a snapshot channel of its
 * own (protocol.ts): yields chunks as they arrive, returns credit as the
 * consumer takes them, and closes the socket (which cancels the server's
 * stream) when the consumer stops or `signal` aborts. `closing` (the
 * transport's) fails it with its reason. Rejects with `ChannelUnsupported`,
 * before any chunk, if the peer refuses the upgrade for its protocol, answers
 * it without a Raft node's reason (an HTTP proxy in front of it) or with
 * something other than HTTP/1.1 (an HTTP/2-only server).
 */
export async function* fetchOverChannel(dial: ChannelDial, request: SnapshotRequest, signal: AbortSignal, closing: AbortSignal, s: FetchSettings): AsyncGenerator<Uint8Array> {
  const { peer } = dial;
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
    socket = await upgrade(dial, { request, credit: s.windowChunks, maxChunkBytes }, connecting.signal, frames);
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
function upgrade(dial: ChannelDial, asked: ChannelRequest, signal: AbortSignal, frames: ChannelFrames): Promise<Socket> {
  const { peer, address, tls } = dial;
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
    socket =
      tls === undefined
        ? netConnect({ host: hp.host, port: hp.port, onread })
        : tlsConnect(withOnread({ host: hp.host, port: hp.port, ca: tls.ca, cert: tls.cert, key: tls.key, ...(tls.serverName === undefined ? {} : { servername: tls.serverName }) }, onread));
    frames.watch(socket);
    return socket;
  };
  const headers = { ...dial.headers, connection: "Upgrade", upgrade: SNAPSHOT_CHANNEL, [REQUEST_HEADER]: JSON.stringify(asked) };
  const req = httpRequest({ host: hp.host, port: hp.port, path: "/raft/snapshot", headers, createConnection, timeout: dial.connectMs });
  return new Promise<Socket>((resolve, reject) => {
    const onAbort = () => req.destroy(aborted(signal));
    const settle = (error: Error | undefined, upgradedSocket?: Socket) => {
      signal.removeEventListener("abort", onAbort);
      if (error === undefined && upgradedSocket !== undefined) return resolve(upgradedSocket);
      socket?.destroy();
      reject(error);
    };
    req.on("upgrade", (res: IncomingMessage, upgradedSocket: Socket, head: Buffer) => {
      const problem = res.headers.upgrade?.toLowerCase() !== SNAPSHOT_CHANNEL ? `it upgraded to ${String(res.headers.upgrade)}` : dial.checkAccepted(res.headers);
      if (problem !== undefined) return settle(new RaftError("Unavailable", `cannot fetch a snapshot from ${where}: ${problem}`));
      upgraded = true;
      frames.feed(head, head.length);
      settle(undefined, upgradedSocket);
    });
    req.on("response", (res: IncomingMessage) => {
      res.resume();
      const reason = res.headers[REJECT_HEADER];
      if (res.statusCode === 400 && reason === "protocol") return settle(new ChannelUnsupported(`${where} does not serve the snapshot channel`));
      // A Raft node names why it refuses; an answer that names nothing comes from something else (an HTTP proxy in front of the node, say).
      if (reason === undefined) return settle(new ChannelUnsupported(`${where} answered the snapshot channel's upgrade with HTTP ${res.statusCode ?? "?"}, as no Raft node does`));
      settle(new RaftError("Unavailable", `cannot fetch a snapshot from ${where}: refused: HTTP ${res.statusCode ?? "?"}${typeof reason === "string" ? ` ${reason.slice(0, 64)}` : ""}`));
    });
    req.on("timeout", () => req.destroy(new RaftError("Unavailable", `cannot fetch a snapshot from ${where}: no answer to the upgrade within ${dial.connectMs} ms`)));
    req.on("error", (e: Error & { code?: string }) => {
      // An HTTP/2-only server (an older gRPC node) answers HTTP/1.1 with binary frames, or hangs up.
      if (e.code?.startsWith("HPE_") === true || e.code === "ECONNRESET") return settle(new ChannelUnsupported(`${where} does not answer the snapshot channel's upgrade (${e.code})`));
      settle(isRaftError(e) ? e : new RaftError("Unavailable", `cannot fetch a snapshot from ${where}: ${e.code ?? e.message}`, { cause: e }));
    });
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
