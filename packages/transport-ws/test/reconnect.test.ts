import { TcpProxy } from "@raft/core/testing";
import { describe, expect, it } from "vitest";
import { WsTransport, type WsTransportOptions } from "../src/index.js";
import { baseOptions, captureLogger, closedAfterEach, heartbeat, startedNode, waitFor } from "./support/transports.js";
import { NodeId } from "@raft/core/contracts";

const open = closedAfterEach();

function node(id: number, extra: Partial<WsTransportOptions> = {}) {
  return startedNode(open, NodeId.of(id), extra);
}

/** Sends a heartbeat every few ms until `until` holds: what a leader does while a follower is away. */
async function keepSending(from: WsTransport, to: number, until: () => boolean, what: string): Promise<void> {
  let round = 0;
  const timer = setInterval(() => from.send([heartbeat(from.id, NodeId.of(to), ++round)]), 10);
  try {
    await waitFor(until, what);
  } finally {
    clearInterval(timer);
  }
}

describe("reconnection", () => {
  it("reaches a peer again after it restarts on the same address, after failed dials", async () => {
    const a = await node(1);
    const b = await node(2);
    a.t.updatePeers(new Map([[2, b.t.address]]));
    a.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 0)]);
    await waitFor(() => b.messages.length === 1, "first delivery");

    const port = Number(b.t.address.split(":")[1]);
    await b.t.close();
    await keepSending(a.t, 2, () => a.t.stats().dialFailures >= 2, "dials to fail while the peer is down");
    expect(a.t.stats().connections).toBe(0);

    const b2 = await node(2, { listen: { host: "127.0.0.1", port } });
    await keepSending(a.t, 2, () => b2.messages.length > 0, "delivery to the restarted peer");
    expect(a.t.stats().connections).toBe(1);
    expect(a.t.stats().dials).toBeGreaterThanOrEqual(3);
  });

  it("redials after the socket is killed under it", async () => {
    const a = await node(1);
    const b = await node(2);
    const proxy = await TcpProxy.listen(b.t.address);
    open.push(proxy);
    a.t.updatePeers(new Map([[2, proxy.address]]));
    a.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 0)]);
    await waitFor(() => b.messages.length === 1, "first delivery");

    proxy.cut();
    proxy.restore(); // the connection was reset; new ones go through
    await waitFor(() => a.t.stats().connections === 0, "the connection to be seen gone");
    const before = b.messages.length;
    await keepSending(a.t, 2, () => b.messages.length > before, "delivery over a new connection");
    expect(proxy.stats().accepted).toBe(2);
  });

  it("drops a connection that went silent (ping/pong liveness), then reconnects", async () => {
    const timers = { keepalive: { timeMs: 20, timeoutMs: 130 } };
    // The link heals the moment node 1 gives up on the silent connection (before it could redial into the blackhole).
    const { logger } = captureLogger();
    const b = await node(2, timers);
    const proxy = await TcpProxy.listen(b.t.address);
    open.push(proxy);
    const a = await node(1, { ...timers, logger: { ...logger, info: (m, f) => (m.includes("went silent") ? proxy.restore() : logger.info(m, f)) } });
    a.t.updatePeers(new Map([[2, proxy.address]]));
    a.t.send([heartbeat(NodeId.of(1), NodeId.of(2), 0)]);
    await waitFor(() => b.messages.length === 1, "first delivery");

    proxy.blackhole(); // the TCP connection stays up; nothing gets through
    await waitFor(() => a.t.stats().livenessTimeouts === 1, "the silent connection to be dropped");
    const before = b.messages.length;
    await keepSending(a.t, 2, () => b.messages.length > before, "delivery over a new connection");
    expect(proxy.stats().accepted).toBe(2);
  });

  it("a snapshot fetch on a broken connection rejects with Unavailable", async () => {
    const a = await node(1);
    const served: { signal?: AbortSignal } = {};
    const b = await WsTransport.listen(baseOptions(NodeId.of(2)));
    open.push(b);
    await b.start({
      onMessage: () => {},
      onSnapshotRequest: (_from, _req, signal) => {
        served.signal = signal;
        return (async function* () {
          yield new Uint8Array(1000);
          await new Promise(() => {}); // never produces the next chunk
        })();
      },
    });
    const proxy = await TcpProxy.listen(b.address);
    open.push(proxy);
    a.t.updatePeers(new Map([[2, proxy.address]]));
    const request = { id: "0000000000000010-2-abababababababab", file: "state", offset: 0, chunkSize: 1000 };
    const it = a.t.fetchSnapshot(NodeId.of(2), request, new AbortController().signal)[Symbol.asyncIterator]();
    expect((await it.next()).value).toHaveLength(1000);
    const next = it.next();
    proxy.cut();
    await expect(next).rejects.toMatchObject({ code: "Unavailable" });
    await waitFor(() => served.signal?.aborted === true, "the serving side to be aborted");
  });
});
