import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttp2Server, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ChannelUnsupported, fetchOverChannel, isRaftError, NodeId, preferChannel, snapshotId, type ChannelDial, type FetchSettings } from "../../../src/contracts/index.js";

// The reader's end of the snapshot channel against servers that do not speak
// it: what makes a transport fall back, and what does not. The channel
// itself is exercised end to end by both network transports' tests.

const servers: (Server | Http2Server)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listening(server: Server | Http2Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const dial = (address: string): ChannelDial => ({ peer: NodeId.of(2), address, tls: undefined, connectMs: 2000, headers: {}, checkAccepted: () => undefined });
const settings: FetchSettings = { reuseBuffers: false, windowChunks: 4, maxFrameBytes: 1 << 20, idleMs: 2000, onChunk: () => {} };
const request = { id: snapshotId(10, 2, "ab".repeat(32)), file: "state", offset: 0, chunkSize: 1024 };

async function fetchFrom(address: string): Promise<unknown> {
  const never = new AbortController().signal;
  try {
    for await (const _ of fetchOverChannel(dial(address), request, never, never, settings)) return "a chunk";
    return "no chunk";
  } catch (e) {
    return e;
  }
}

describe("the snapshot channel's reader", () => {
  it("reports ChannelUnsupported for an HTTP/2-only server (an older gRPC node), a refusal of its protocol, and an answer that names no Raft reason", async () => {
    const h2 = await listening(createHttp2Server());
    expect(await fetchFrom(h2)).toBeInstanceOf(ChannelUnsupported);
    const refusing = await listening(createHttpServer((_req, res) => res.writeHead(400, { "x-raft-reject": "protocol" }).end()));
    expect(await fetchFrom(refusing)).toBeInstanceOf(ChannelUnsupported);
    // Something in front of the node that knows no upgrades (an HTTP proxy): its answer names no Raft reason.
    const proxy = await listening(createHttpServer((_req, res) => res.writeHead(404).end()));
    expect(await fetchFrom(proxy)).toBeInstanceOf(ChannelUnsupported);
  });

  it("reports any other refusal as Unavailable with its status and reason, and does not fall back for it", async () => {
    const refusing = await listening(
      createHttpServer((_req, res) => res.writeHead(401, { "x-raft-reject": "bad token" }).end()).on("upgrade", (_req, socket) => {
        socket.end("HTTP/1.1 401 Refused\r\nx-raft-reject: bad token\r\nContent-Length: 0\r\n\r\n");
      }),
    );
    const error = await fetchFrom(refusing);
    expect(isRaftError(error, "Unavailable")).toBe(true);
    expect((error as Error).message).toContain("HTTP 401 bad token");
    let fellBack = false;
    const chunks = preferChannel(
      () => fetchOverChannel(dial(refusing), request, new AbortController().signal, new AbortController().signal, settings),
      async function* () {
        fellBack = true;
        yield new Uint8Array(1);
      },
      () => {},
    );
    await expect(chunks.next()).rejects.toMatchObject({ code: "Unavailable" });
    expect(fellBack).toBe(false);
  });

  it("falls back, once, when the peer does not speak the channel", async () => {
    const h2 = await listening(createHttp2Server());
    const reasons: string[] = [];
    const got: number[] = [];
    const chunks = preferChannel(
      () => fetchOverChannel(dial(h2), request, new AbortController().signal, new AbortController().signal, settings),
      async function* () {
        yield Uint8Array.of(7);
      },
      (reason) => reasons.push(reason),
    );
    for await (const c of chunks) got.push(c[0] as number);
    expect(got).toEqual([7]);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain("does not answer the snapshot channel's upgrade");
  });
});
