import { connect } from "node:net";
import { NodeId, snapshotId, type SnapshotRequest, type TransportHandlers } from "@raft/core/contracts";
import { numberedChunks, readNumberedChunks } from "@raft/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { GrpcTransport, type GrpcTransportOptions } from "../src/index.js";
import { makeCa, makeNodeCert } from "./certs.js";
import { closeAll, RecordingLogger, waitFor } from "./support.js";

// Snapshot fetches over the snapshot channel: HTTP/1.1 upgraded on the gRPC
// port, one connection per fetch. The stream's semantics (errors, splitting,
// deadlines) are in snapshot-stream.test.ts and the transport contract, which
// both run over it now.

const open: GrpcTransport[] = [];
afterEach(async () => {
  await closeAll(open.splice(0));
});

const MiB = 1 << 20;
const request = (chunkSize: number): SnapshotRequest => ({ id: snapshotId(10, 2, "ab".repeat(32)), file: "state", offset: 0, chunkSize });
type Serve = TransportHandlers["onSnapshotRequest"];

/** Node 1 reads from node 2, which serves with `serve`. */
async function pair(serve: Serve, reader: Partial<GrpcTransportOptions> = {}, server: Partial<GrpcTransportOptions> = {}) {
  const s = await GrpcTransport.listen({ id: 2, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, ...server });
  open.push(s);
  await s.start({ onMessage: () => {}, onSnapshotRequest: serve });
  const r = await GrpcTransport.listen({ id: 1, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, peers: { 2: s.address }, ...reader });
  open.push(r);
  return { reader: r, server: s };
}

async function drain(chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of chunks) n += c.length;
  return n;
}

/** Writes `text` on a raw connection to `address` and resolves with everything the server sent until it closed. */
function rawExchange(address: string, text: string): Promise<string> {
  const [host, port] = address.split(":") as [string, string];
  const socket = connect({ host, port: Number(port) });
  let received = "";
  socket.on("data", (d: Buffer) => (received += d.toString("latin1")));
  socket.on("error", () => {});
  if (text !== "") socket.write(text);
  return new Promise((resolve) => socket.once("close", () => resolve(received)));
}

describe("snapshot channel over gRPC", () => {
  it("receives 256 MiB into reused buffers with array-buffer memory bounded by the window, not the transfer", async () => {
    const logger = new RecordingLogger();
    const { reader, server } = await pair(numberedChunks(256, MiB), { logger });
    const { count, arrayBuffersGrowth } = await readNumberedChunks(reader.fetchSnapshot(NodeId.of(2), request(MiB), new AbortController().signal, { reuseBuffers: true }), MiB);
    expect(count).toBe(256);
    expect(logger.lines.filter((l) => l.message.includes("over gRPC"))).toEqual([]);
    expect(server.stats().snapshotBytesSent).toBe(256 * MiB);
    expect(reader.stats().snapshotBytesReceived).toBe(256 * MiB);
    // Both ends live in this process: the reader's window and read buffer, the server's frame buffers.
    // Over FetchSnapshot, every HTTP/2 read and every gRPC message is a new buffer, dead at once: tens of MiB pile up.
    expect(arrayBuffersGrowth / MiB).toBeLessThan(24);
  });

  it("falls back to FetchSnapshot when the server does not serve the channel", async () => {
    const logger = new RecordingLogger();
    const { reader } = await pair(numberedChunks(3, 1024), { logger }, { snapshotChannel: false });
    const chunks: Uint8Array[] = [];
    for await (const c of reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal)) chunks.push(c.slice());
    expect(chunks.map((c) => c[0])).toEqual([0, 1, 2]);
    expect(logger.lines.some((l) => l.message === "grpc transport: fetching a snapshot over gRPC")).toBe(true);
  });

  it("refuses a reader without the right token before serving anything, as it refuses its calls", async () => {
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
    expect(error).toMatchObject({ code: "Unavailable", message: expect.stringContaining("401 bad token") });
    expect(served).toBe(0);
    expect(server.stats().rejections["bad token"]).toBeGreaterThanOrEqual(1);
  });

  it("serves a reader under mutual TLS, and refuses one whose certificate names another node", async () => {
    const ca = await makeCa("cluster CA");
    const certs = await Promise.all([1, 2, 3].map((id) => makeNodeCert(ca, `node ${id}`, "bank", [id])));
    const mtls = (id: number) => ({ tls: { ...(certs[id - 1] as { cert: string; key: string }), ca: ca.cert, requireClientCert: true } });
    const { reader, server } = await pair(numberedChunks(8, 64 * 1024), mtls(1), mtls(2));
    expect(await drain(reader.fetchSnapshot(NodeId.of(2), request(64 * 1024), new AbortController().signal))).toBe(8 * 64 * 1024);
    expect(server.stats().snapshotBytesSent).toBe(8 * 64 * 1024);
    // Node 1's certificate, used by a node that says it is node 3.
    const thief = await GrpcTransport.listen({ id: 3, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, peers: { 2: server.address }, ...mtls(1) });
    open.push(thief);
    const error = await drain(thief.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "Unavailable", message: expect.stringContaining("certificate mismatch") });
    expect(server.stats().rejections["certificate mismatch"]).toBeGreaterThanOrEqual(1);
  });

  it("answers HTTP/1.1 that is no channel upgrade with 400, drops a silent connection after connectMs, and keeps serving gRPC", async () => {
    const { reader, server } = await pair(numberedChunks(2, 1024), {}, { deadlines: { connectMs: 100, snapshotIdleMs: 5000 } });
    const answer = await rawExchange(server.address, `GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer.toLowerCase()).toContain("x-raft-reject: protocol");
    const started = performance.now();
    expect(await rawExchange(server.address, "")).toBe("");
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    await waitFor(() => (server.stats().rejections["bad http"] ?? 0) >= 1, "the refusal counted");
    expect(await drain(reader.fetchSnapshot(NodeId.of(2), request(1024), new AbortController().signal))).toBe(2048);
  });
});
