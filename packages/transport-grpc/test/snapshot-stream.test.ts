import { isRaftError, NodeId, RaftError, snapshotId, type RaftErrorCode, type SnapshotRequest, type TransportHandlers } from "@raft/core/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { GrpcTransport, type GrpcTransportOptions } from "../src/index.js";
import { closeAll, waitFor } from "./support.js";

const ID = snapshotId(10, 2, "ab".repeat(32));
const request = (chunkSize: number, id = ID): SnapshotRequest => ({ id, file: "state", offset: 0, chunkSize });

const open: GrpcTransport[] = [];
afterEach(async () => {
  await closeAll(open.splice(0));
});

type Serve = TransportHandlers["onSnapshotRequest"];

/** Node 1 reads from node 2, which serves with `serve`. */
async function pair(serve: Serve, options: { reader?: Partial<GrpcTransportOptions>; server?: Partial<GrpcTransportOptions>; startServer?: boolean } = {}) {
  const server = await GrpcTransport.listen({ id: 2, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, ...options.server });
  open.push(server);
  if (options.startServer !== false) await server.start({ onMessage: () => {}, onSnapshotRequest: serve });
  const reader = await GrpcTransport.listen({ id: 1, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, peers: { 2: server.address }, ...options.reader });
  open.push(reader);
  return { server, reader };
}

async function readAll(t: GrpcTransport, from: NodeId, r: SnapshotRequest, signal = new AbortController().signal): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of t.fetchSnapshot(from, r, signal)) chunks.push(c);
  return chunks;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe("the snapshot stream", () => {
  it("gives the reader the serving side's error code", async () => {
    let code: RaftErrorCode = "NotFound";
    const { reader } = await pair(async function* () {
      yield new Uint8Array(4);
      throw new RaftError(code, `failed with ${code}`);
    });
    for (const c of ["Busy", "NotFound", "Corrupt", "Aborted", "StorageFailure", "Timeout"] as const) {
      code = c;
      const e = await failure(readAll(reader, NodeId.of(2), request(16)));
      expect(isRaftError(e) ? e.code : e).toBe(c);
      expect((e as Error).message).toContain(`failed with ${c}`);
    }
  });

  it("copies each chunk before pulling the next, so the server may reuse one buffer", async () => {
    const { reader } = await pair(async function* () {
      const buffer = new Uint8Array(1000);
      for (let i = 0; i < 50; i++) {
        buffer.fill(i);
        yield buffer;
      }
    });
    const chunks = await readAll(reader, NodeId.of(2), request(1000));
    expect(chunks.map((c) => c[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(chunks.every((c) => c.every((b) => b === c[0]))).toBe(true);
  });

  it("splits a chunk larger than a gRPC message into pieces", async () => {
    const big = Uint8Array.from({ length: 200_000 }, (_, i) => i % 253);
    const { reader, server } = await pair(
      async function* () {
        yield big;
      },
      { server: { maxFrameBytes: 64 * 1024 } },
    );
    const chunks = await readAll(reader, NodeId.of(2), request(200_000));
    expect(chunks.length).toBe(4);
    expect(Buffer.concat(chunks).equals(Buffer.from(big))).toBe(true);
    expect(server.stats().snapshotBytesSent).toBe(200_000);
    expect(reader.stats().snapshotBytesReceived).toBe(200_000);
  });

  it("refuses an invalid request with InvalidMessage, and counts it", async () => {
    const { reader, server } = await pair(async function* () {
      yield new Uint8Array(1);
    });
    const e = await failure(readAll(reader, NodeId.of(2), request(16, "../../etc/passwd")));
    expect(isRaftError(e, "InvalidMessage")).toBe(true);
    const tooBig = await failure(readAll(reader, NodeId.of(2), request(64 << 20)));
    expect(isRaftError(tooBig, "InvalidMessage")).toBe(true);
    expect(server.stats().rejections["invalid snapshot request"]).toBe(2);
  });

  it("is Unavailable from a node not started yet, or with no known address", async () => {
    const { reader } = await pair(async function* () {}, { startServer: false });
    expect(isRaftError(await failure(readAll(reader, NodeId.of(2), request(16))), "Unavailable")).toBe(true);
    expect(isRaftError(await failure(readAll(reader, NodeId.of(7), request(16))), "Unavailable")).toBe(true);
  });

  it("times out a stream that brings nothing while the reader waits, and stops the server", async () => {
    let serverSignal: AbortSignal | undefined;
    const { reader } = await pair(
      async function* (_from, _request, signal) {
        serverSignal = signal;
        yield new Uint8Array(8);
        await new Promise((resolve) => signal.addEventListener("abort", resolve));
      },
      { reader: { deadlines: { snapshotIdleMs: 200 } } },
    );
    const e = await failure(readAll(reader, NodeId.of(2), request(8)));
    expect(isRaftError(e, "Timeout")).toBe(true);
    await waitFor(() => serverSignal?.aborted === true, "the server to be cancelled");
  });

  it("gives up on a reader that stopped reading, on the serving side", async () => {
    let serverSignal: AbortSignal | undefined;
    let served = 0;
    const { reader } = await pair(
      async function* (_from, _request, signal) {
        serverSignal = signal;
        for (;;) {
          served++;
          yield new Uint8Array(64 * 1024);
        }
      },
      { server: { deadlines: { snapshotIdleMs: 200 } }, reader: { snapshotWindowBytes: 16 * 1024 } },
    );
    const it = reader.fetchSnapshot(NodeId.of(2), request(64 * 1024), new AbortController().signal)[Symbol.asyncIterator]();
    try {
      await it.next();
      // The reader holds on to its iterator and reads no more.
      await waitFor(() => serverSignal?.aborted === true, "the server's idle deadline");
      expect(served).toBeLessThan(20);
    } finally {
      await it.return?.();
    }
  });
});
