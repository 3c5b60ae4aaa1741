import { connect, createServer, type Socket } from "node:net";
import { NodeId, snapshotId, type SnapshotRequest, type TransportHandlers } from "@raft/core/contracts";
import { numberedChunks, readNumberedChunks } from "@raft/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { WsTransport, type WsTransportOptions } from "../src/index.js";
import { baseOptions, captureLogger, CLUSTER, inbox } from "./support/transports.js";

// Snapshot fetches over a connection of their own (the transport kit's snapshot channel); the
// stream semantics they share with the WebSocket path are in
// snapshot-stream.test.ts and the transport contract, which both run over it.

const open: WsTransport[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all([...open.splice(0).map((t) => t.close()), ...closers.splice(0).map((c) => c())]);
});

const MiB = 1 << 20;
const request = (chunkSize: number): SnapshotRequest => ({ id: snapshotId(10, 2, "ab".repeat(32)), file: "state", offset: 0, chunkSize });
type Serve = TransportHandlers["onSnapshotRequest"];

/** Node 1 reads from node 2, which serves with `serve`. */
async function pair(serve: Serve, reader: Partial<WsTransportOptions> = {}, server: Partial<WsTransportOptions> = {}) {
  const r = await WsTransport.listen(baseOptions(NodeId.of(1), reader));
  const s = await WsTransport.listen(baseOptions(NodeId.of(2), server));
  open.push(r, s);
  await r.start(inbox().handlers);
  await s.start({ onMessage: () => {}, onSnapshotRequest: serve });
  r.updatePeers(new Map([[2, s.address]]));
  return { reader: r, server: s };
}

async function drain(chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of chunks) n += c.length;
  return n;
}

describe("snapshot channel", () => {
  it("fetches over a connection of its own: no WebSocket is opened, and every byte arrives in order", async () => {
    const { reader, server } = await pair(numberedChunks(64, 64 * 1024));
    let chunks = 0;
    for await (const c of reader.fetchSnapshot(NodeId.of(2), request(64 * 1024), new AbortController().signal)) {
      expect([c.length, c[0], c[c.length - 1]]).toEqual([64 * 1024, chunks & 0xff, chunks & 0xff]);
      chunks++;
    }
    expect(chunks).toBe(64);
    expect(reader.connections()).toEqual([]);
    expect(reader.stats().snapshotBytesReceived).toBe(64 * 64 * 1024);
    expect(server.stats().snapshotBytesSent).toBe(64 * 64 * 1024);
  });

  it("receives 256 MiB into reused buffers with array-buffer memory bounded by the window, not the transfer", async () => {
    const { reader } = await pair(numberedChunks(256, MiB));
    const { count, arrayBuffersGrowth } = await readNumberedChunks(reader.fetchSnapshot(NodeId.of(2), request(MiB), new AbortController().signal, { reuseBuffers: true }), MiB);
    expect(count).toBe(256);
    // Both ends live in this process: the reader's window (8 chunks) and read buffer, the server's frame buffers (4 chunks).
    // Over the WebSocket, each 64 KiB read and each reassembled message is a new buffer, dead at once: tens of MiB pile up.
    expect(arrayBuffersGrowth / MiB).toBeLessThan(24);
  });

  it("falls back to the peer connection when the server does not serve the channel", async () => {
    const { logger, lines } = captureLogger();
    const { reader } = await pair(numberedChunks(3, 1024), { logger }, { snapshotChannel: false });
    const chunks: Uint8Array[] = [];
    for await (const c of reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal)) chunks.push(c.slice());
    expect(chunks.map((c) => c[0])).toEqual([0, 1, 2]);
    expect(reader.connections().map((c) => c.peer)).toEqual([2]);
    expect(lines.some((l) => l.message === "ws transport: fetching a snapshot over the peer connection")).toBe(true);
  });

  it("refuses a reader without the right token before serving anything", async () => {
    let served = 0;
    const { reader, server } = await pair(
      async function* () {
        served++;
        yield new Uint8Array(1);
      },
      { auth: { token: "not-the-secret" } },
      { auth: { token: "the-secret" } },
    );
    const error = await drain(reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "Unavailable", message: expect.stringContaining("wrong-token") });
    expect(served).toBe(0);
    expect(server.stats().rejectedByReason["wrong-token"]).toBeGreaterThanOrEqual(1);
  });

  it("keeps a stream whose source pauses longer than the handshake deadline (connectMs)", async () => {
    const { reader } = await pair(
      async function* () {
        for (let i = 0; i < 3; i++) {
          await new Promise((r) => setTimeout(r, 150));
          yield new Uint8Array(16).fill(i);
        }
      },
      { deadlines: { connectMs: 50, snapshotIdleMs: 5000 } },
    );
    expect(await drain(reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal))).toBe(48);
  });

  it("fails a fetch in progress with Unavailable when the reading transport closes", async () => {
    const { reader } = await pair(async function* () {
      yield new Uint8Array(8);
      await new Promise(() => {});
    });
    const it = reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal)[Symbol.asyncIterator]();
    await it.next();
    const next = it.next().catch((e: unknown) => e);
    await reader.close();
    expect(await next).toMatchObject({ code: "Unavailable" });
  });

  it("refuses a bad request with an ERROR frame, and lets go of a reader that then keeps the socket open", async () => {
    const server = await WsTransport.listen(baseOptions(NodeId.of(2), { peers: { 1: "127.0.0.1:1" }, deadlines: { snapshotIdleMs: 100 } }));
    open.push(server);
    await server.start(inbox().handlers);
    const [host, port] = server.address.split(":") as [string, string];
    // Half open allowed: this reader never closes its side, whatever the server does.
    const socket = connect({ host, port: Number(port), allowHalfOpen: true });
    closers.push(async () => void socket.destroy());
    socket.write(
      `GET /raft/snapshot HTTP/1.1\r\nHost: ${server.address}\r\nConnection: Upgrade\r\nUpgrade: raft-snapshot.v1\r\n` +
        `x-raft-cluster: ${CLUSTER}\r\nx-raft-node: 1\r\nx-raft-target: 2\r\nx-raft-snapshot-request: {"credit":0}\r\n\r\n`,
    );
    let received = "";
    socket.on("data", (d: Buffer) => (received += d.toString("latin1")));
    const closed = new Promise<string>((resolve) => socket.once("close", () => resolve("closed")));
    await new Promise<void>((resolve) => socket.once("end", resolve));
    expect(received).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(received).toContain('"code":"InvalidMessage"');
    // Past snapshotIdleMs the server has let go of the socket: a write is answered with a reset, and the next one fails.
    socket.on("error", () => {});
    await new Promise((r) => setTimeout(r, 300));
    socket.write(Buffer.from([4, 0, 0, 0, 1]));
    await new Promise((r) => setTimeout(r, 100));
    socket.write(Buffer.from([4, 0, 0, 0, 1]));
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r("still open"), 2000))])).toBe("closed");
    expect(server.stats().rejectedByReason["bad-snapshot-request"]).toBe(1);
  });

  describe("against a server that breaks the protocol", () => {
    /** A listener that answers the upgrade as node 2 would, then writes `frames`. */
    async function fakeServer(frames: Buffer): Promise<string> {
      const sockets = new Set<Socket>();
      const server = createServer((socket) => {
        sockets.add(socket);
        let head = "";
        socket.on("data", (d: Buffer) => {
          head += d.toString("latin1");
          if (!head.includes("\r\n\r\n")) return;
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: raft-snapshot.v1\r\nX-Raft-Cluster: ${CLUSTER}\r\nX-Raft-Node: 2\r\n\r\n`);
          socket.write(frames);
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      closers.push(() => {
        for (const s of sockets) s.destroy();
        return new Promise<void>((r) => server.close(() => r()));
      });
      return `127.0.0.1:${(server.address() as { port: number }).port}`;
    }

    async function fetchFrom(frames: Buffer): Promise<unknown> {
      const reader = await WsTransport.listen(baseOptions(NodeId.of(1), { snapshotWindowChunks: 2, maxFrameBytes: 64 * 1024 }));
      open.push(reader);
      await reader.start(inbox().handlers);
      reader.updatePeers(new Map([[2, await fakeServer(frames)]]));
      const chunks: number[] = [];
      try {
        for await (const c of reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal)) chunks.push(c.length);
        return chunks;
      } catch (e) {
        return e;
      }
    }

    const frame = (type: number, payload: Buffer | number) => {
      const body = typeof payload === "number" ? Buffer.alloc(0) : payload;
      const head = Buffer.alloc(5);
      head[0] = type;
      head.writeUInt32BE(typeof payload === "number" ? payload : body.length, 1);
      return Buffer.concat([head, body]);
    };

    it("reads DATA frames then END", async () => {
      expect(await fetchFrom(Buffer.concat([frame(1, Buffer.alloc(10)), frame(1, Buffer.alloc(3)), frame(2, 0)]))).toEqual([10, 3]);
    });

    it("reports the server's ERROR with its code", async () => {
      expect(await fetchFrom(frame(3, Buffer.from(JSON.stringify({ code: "Busy", message: "too many" }))))).toMatchObject({ code: "Busy" });
    });

    it("fails with InvalidMessage on an unknown frame type, a chunk past the credit, or a chunk over the reader's frame limit", async () => {
      expect(await fetchFrom(frame(9, 0))).toMatchObject({ code: "InvalidMessage" });
      expect(await fetchFrom(Buffer.concat([frame(1, Buffer.alloc(1)), frame(1, Buffer.alloc(1)), frame(1, Buffer.alloc(1))]))).toMatchObject({ code: "InvalidMessage" });
      expect(await fetchFrom(frame(1, Buffer.alloc(70_000)))).toMatchObject({ code: "InvalidMessage" });
    });

    it("fails with Unavailable when the server closes before END", async () => {
      const reader = await WsTransport.listen(baseOptions(NodeId.of(1)));
      open.push(reader);
      await reader.start(inbox().handlers);
      const address = await fakeServer(frame(1, Buffer.alloc(4)));
      reader.updatePeers(new Map([[2, address]]));
      const it = reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal)[Symbol.asyncIterator]();
      expect((await it.next()).value).toHaveLength(4);
      const next = it.next().catch((e: unknown) => e);
      await closers.splice(0)[0]?.();
      expect(await next).toMatchObject({ code: "Unavailable" });
    });
  });
});
