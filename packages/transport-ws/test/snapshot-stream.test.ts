import { createServer, type Socket } from "node:net";
import { NodeId, RaftError, snapshotId, type SnapshotRequest, type TransportHandlers } from "@raft/core/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { WsTransport, type WsTransportOptions } from "../src/index.js";
import { baseOptions, heartbeat, inbox, waitFor } from "./support/transports.js";

const open: WsTransport[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all([...open.splice(0).map((t) => t.close()), ...closers.splice(0).map((c) => c())]);
});

const ID = snapshotId(10, 2, "ab".repeat(32));
const request = (chunkSize: number, offset = 0): SnapshotRequest => ({ id: ID, file: "state", offset, chunkSize });
type Serve = TransportHandlers["onSnapshotRequest"];

/** Node 1 reads from node 2, which serves with `serve`. */
async function pair(serve: Serve, extra: Partial<WsTransportOptions> = {}) {
  const reader = await WsTransport.listen(baseOptions(NodeId.of(1), extra));
  const server = await WsTransport.listen(baseOptions(NodeId.of(2), extra));
  open.push(reader, server);
  const readerInbox = inbox();
  const serverInbox = inbox();
  await reader.start(readerInbox.handlers);
  await server.start({ onMessage: serverInbox.handlers.onMessage, onSnapshotRequest: serve });
  reader.updatePeers(new Map([[2, server.address]]));
  return { reader, server, serverMessages: serverInbox.messages };
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of source) out.push(c);
  return out;
}

describe("snapshot streams", () => {
  it("splits chunks larger than the reader's frame limit, bytes intact", async () => {
    const file = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 31) % 256);
    const { reader } = await pair(
      async function* () {
        yield file.subarray(0, 300_000);
        yield file.subarray(300_000);
      },
      { maxFrameBytes: 64 << 10 },
    );
    const chunks = await readAll(reader.fetchSnapshot(NodeId.of(2), request(1 << 20), new AbortController().signal));
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(64 << 10);
    expect(chunks.length).toBeGreaterThanOrEqual(17);
    expect(Buffer.concat(chunks).equals(Buffer.from(file))).toBe(true);
  });

  it("never lets the server run more than the credit window ahead of a slow reader", async () => {
    const window = 4;
    let served = 0;
    const { reader } = await pair(
      async function* () {
        for (let i = 0; i < 300; i++) {
          served++;
          yield new Uint8Array(16 << 10);
        }
      },
      { snapshotWindowChunks: window },
    );
    let received = 0;
    let ahead = 0;
    for await (const _ of reader.fetchSnapshot(NodeId.of(2), request(16 << 10), new AbortController().signal)) {
      received++;
      ahead = Math.max(ahead, served - received);
      if (received % 25 === 0) await new Promise((r) => setTimeout(r, 5)); // a slow consumer: the server would race ahead if it could
    }
    expect(received).toBe(300);
    expect(ahead).toBeLessThanOrEqual(window);
    expect(ahead).toBeGreaterThan(0);
  });

  it("delivers the chunks before a serving error, then the error with its code", async () => {
    const { reader } = await pair(async function* () {
      yield new Uint8Array([1]);
      yield new Uint8Array([2]);
      throw new RaftError("Corrupt", "bit rot in state");
    });
    const got: number[] = [];
    const error = await (async () => {
      for await (const c of reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal)) got.push(c[0] as number);
    })().catch((e: unknown) => e);
    expect(got).toEqual([1, 2]);
    expect(error).toMatchObject({ code: "Corrupt", message: "node 2: bit rot in state" });
  });

  it("refuses an invalid request on the serving side with InvalidMessage, without calling the handler", async () => {
    let calls = 0;
    const { reader, server } = await pair(async function* () {
      calls++;
      yield new Uint8Array(1);
    });
    const bad = { id: "../../etc/passwd", file: "state", offset: 0, chunkSize: 1024 };
    const error = await readAll(reader.fetchSnapshot(NodeId.of(2), bad, new AbortController().signal)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "InvalidMessage" });
    expect(calls).toBe(0);
    expect(server.stats().rejectedByReason["bad-snapshot-request"]).toBe(1);
  });

  it("multiplexes: engine messages pass while a stream is open, and streams run side by side", async () => {
    const gates: (() => void)[] = [];
    const { reader, serverMessages } = await pair(async function* (_from, req) {
      for (let i = 0; i < 3; i++) {
        yield new TextEncoder().encode(`${req.file}:${i}`);
        await new Promise<void>((r) => gates.push(r));
      }
    });
    const a = reader.fetchSnapshot(NodeId.of(2), { ...request(1024), file: "a" }, new AbortController().signal)[Symbol.asyncIterator]();
    const b = reader.fetchSnapshot(NodeId.of(2), { ...request(1024), file: "b" }, new AbortController().signal)[Symbol.asyncIterator]();
    const text = async (it: AsyncIterator<Uint8Array>) => new TextDecoder().decode((await it.next()).value as Uint8Array);
    expect(await text(a)).toBe("a:0");
    expect(await text(b)).toBe("b:0");
    reader.send([heartbeat(NodeId.of(1), NodeId.of(2), 1)]);
    await waitFor(() => serverMessages.length === 1, "a message while both streams are open");
    for (let i = 1; i < 3; i++) {
      for (const open of gates.splice(0)) open();
      expect(await text(b)).toBe(`b:${i}`);
      expect(await text(a)).toBe(`a:${i}`);
    }
    for (const open of gates.splice(0)) open();
    expect((await a.next()).done).toBe(true);
    expect((await b.next()).done).toBe(true);
  });

  it("closing the serving transport aborts its source and fails the reader with Unavailable", async () => {
    let serverSignal: AbortSignal | undefined;
    const { reader, server } = await pair(async function* (_from, _req, signal) {
      serverSignal = signal;
      yield new Uint8Array(8);
      await new Promise(() => {});
    });
    const it = reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal)[Symbol.asyncIterator]();
    await it.next();
    const next = it.next().then(
      () => "resolved",
      (e: unknown) => e,
    );
    await server.close();
    expect(serverSignal?.aborted).toBe(true);
    expect(await next).toMatchObject({ code: "Unavailable" });
  });

  it("a reader abort while waiting for the connection rejects with Aborted", async () => {
    const reader = await WsTransport.listen(baseOptions(NodeId.of(1), { deadlines: { connectMs: 60_000 } }));
    open.push(reader);
    await reader.start(inbox().handlers);
    // A listener that accepts TCP and never answers the upgrade: the dial hangs.
    const held = new Set<Socket>();
    const mute = createServer((s) => void held.add(s));
    await new Promise<void>((r) => mute.listen(0, "127.0.0.1", r));
    closers.push(() => {
      for (const s of held) s.destroy();
      return new Promise<void>((r) => mute.close(() => r()));
    });
    reader.updatePeers(new Map([[2, `127.0.0.1:${(mute.address() as { port: number }).port}`]]));
    const abort = new AbortController();
    const reading = readAll(reader.fetchSnapshot(NodeId.of(2), request(1024), abort.signal)).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    expect(await reading).toMatchObject({ code: "Aborted" });
  });

  it("a reader that stops taking chunks is cut by the server's idle deadline, releasing the source", async () => {
    let serverSignal: AbortSignal | undefined;
    const { reader } = await pair(
      async function* (_from, _req, signal) {
        serverSignal = signal;
        for (;;) yield new Uint8Array(16);
      },
      { snapshotWindowChunks: 1, deadlines: { snapshotIdleMs: 100 } },
    );
    const it = reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal)[Symbol.asyncIterator]();
    await it.next(); // then the consumer stalls: no credit goes back
    await waitFor(() => serverSignal?.aborted === true, "the server to give up on the idle reader");
    await expect(it.next()).rejects.toMatchObject({ code: "Timeout" });
  });

  it("a server that stops sending while holding credit is cut by the reader's idle deadline, and told so", async () => {
    let serverSignal: AbortSignal | undefined;
    const { reader } = await pair(
      async function* (_from, _req, signal) {
        serverSignal = signal;
        yield new Uint8Array(16);
        await new Promise(() => {}); // stuck
      },
      { deadlines: { snapshotIdleMs: 100 } },
    );
    const chunks = reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal);
    const error = await readAll(chunks).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "Timeout" });
    await waitFor(() => serverSignal?.aborted === true, "the cancel to reach the server");
  });

  it("serves at most 16 streams to one peer at once; more get Busy", async () => {
    const { reader } = await pair(async function* () {
      yield new Uint8Array(1);
      await new Promise(() => {});
    });
    const abort = new AbortController();
    const its = Array.from({ length: 16 }, () => reader.fetchSnapshot(NodeId.of(2), request(1024), abort.signal)[Symbol.asyncIterator]());
    for (const it of its) await it.next();
    const error = await readAll(reader.fetchSnapshot(NodeId.of(2), request(1024), abort.signal)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "Busy" });
    abort.abort();
    await Promise.all(its.map((it) => it.next().catch(() => undefined)));
  });
});
