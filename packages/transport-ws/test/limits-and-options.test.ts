import { RECONNECT_DEFAULTS, RECONNECT_LIMITS, type Logger } from "@raft/core/contracts";
import { describe, expect, it } from "vitest";
import { WsTransport, type WsTransportOptions } from "../src/index.js";
import { resolveOptions } from "../src/options.js";
import { baseOptions } from "./support/transports.js";

// The options schema, the address parser, the rejection log and the token
// checks are the transport kit's (@raft/core/contracts), tested there; these
// pin what this transport takes from it.

const invalid = (patch: Record<string, unknown>) => {
  try {
    resolveOptions({ ...baseOptions(1), ...patch } as WsTransportOptions);
    return "accepted";
  } catch (e) {
    return e as Error & { code?: string };
  }
};

describe("options", () => {
  it.each([
    [{ id: 0 }, "id"],
    [{ id: 1.5 }, "id"],
    [{ clusterId: "has space" }, "clusterId"],
    [{ clusterId: "" }, "clusterId"],
    [{ listen: { host: "", port: 0 } }, "listen.host"],
    [{ listen: { host: "127.0.0.1", port: 70000 } }, "listen.port"],
    [{ peers: { 0: "127.0.0.1:1" } }, "peers.0"],
    [{ peers: { 2: "no-port" } }, "peers.2"],
    [{ peers: { 2: "127.0.0.1:0" } }, "peers.2"],
    [{ peers: new Map([[2, "http://x:1"]]) }, "peers.2"],
    [{ auth: { token: "" } }, "auth.token"],
    [{ auth: { token: "has space" } }, "auth.token"],
    [{ tls: { cert: "", key: "k" } }, "tls.cert"],
    [{ tls: { cert: "c", key: "k", requireClientCert: true } }, "tls.ca"],
    [{ maxFrameBytes: 100 }, "maxFrameBytes"],
    [{ maxQueuedMessages: 0 }, "maxQueuedMessages"],
    [{ reconnect: { minDelayMs: 100, maxDelayMs: 50 } }, "reconnect.maxDelayMs"],
    [{ reconnect: 5 }, "reconnect"],
    [{ keepalive: { timeMs: 5 } }, "keepalive.timeMs"],
    [{ keepalive: { timeoutMs: 0 } }, "keepalive.timeoutMs"],
    [{ deadlines: { connectMs: 0 } }, "deadlines.connectMs"],
    [{ deadlines: { snapshotIdleMs: 1.5 } }, "deadlines.snapshotIdleMs"],
    [{ advertise: "nowhere" }, "advertise"],
    [{ tls: { cert: "c", key: "k", serverName: "" } }, "tls.serverName"],
    [{ rejectionLogIntervalMs: 0 }, "rejectionLogIntervalMs"],
    [{ snapshotWindowChunks: 0 }, "snapshotWindowChunks"],
    [{ snapshotWindowChunks: 5000 }, "snapshotWindowChunks"],
    [{ acceptUnknownPeers: "yes" }, "acceptUnknownPeers"],
  ])("refuses %j with InvalidConfig naming %s", (patch, field) => {
    const e = invalid(patch);
    expect(e).toMatchObject({ code: "InvalidConfig" });
    expect((e as Error).message).toContain(`${field}: `);
  });

  it("fills in defaults, accepts peers as an object or a Map, and skips this node's own entry", () => {
    const o = resolveOptions({ ...baseOptions(1), peers: { 1: "127.0.0.1:7001", 2: "127.0.0.1:7002", 3: "[::1]:7003" } });
    expect([...o.peers]).toEqual([
      [2, "127.0.0.1:7002"],
      [3, "[::1]:7003"],
    ]);
    expect(o.maxFrameBytes).toBe(16 << 20);
    expect(o.snapshotWindowChunks).toBe(16);
    expect(o.acceptUnknownPeers).toBe(false); // peers are configured
    expect(o.livenessTimeoutMs).toBe(6000); // keepalive 2000 + 4000, the kit's defaults
    expect(resolveOptions(baseOptions(1)).acceptUnknownPeers).toBe(true);
    expect([...resolveOptions({ ...baseOptions(1), peers: new Map([[2, "h:1"]]) }).peers]).toEqual([[2, "h:1"]]);
  });

  it("listen() refuses a port in use with Unavailable", async () => {
    const a = await WsTransport.listen(baseOptions(1));
    try {
      const port = Number(a.address.split(":")[1]);
      await expect(WsTransport.listen(baseOptions(2, { listen: { host: "127.0.0.1", port } }))).rejects.toMatchObject({ code: "Unavailable" });
    } finally {
      await a.close();
    }
  });

  it("updatePeers skips invalid entries instead of throwing", async () => {
    const lines: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (m) => void lines.push(m), error() {} };
    const a = await WsTransport.listen(baseOptions(1, { logger }));
    try {
      expect(() => a.updatePeers(new Map([[2, "nope"], [0, "127.0.0.1:1"]]))).not.toThrow();
      expect(lines).toHaveLength(2);
    } finally {
      await a.close();
    }
  });
});

describe("reconnect", () => {
  it("has the defaults and limits of @raft/transport-grpc (core's RECONNECT_DEFAULTS and RECONNECT_LIMITS)", () => {
    const o = resolveOptions({ id: 1, clusterId: "c", listen: { host: "127.0.0.1", port: 0 } });
    expect(o.reconnect).toEqual(RECONNECT_DEFAULTS);
    expect(RECONNECT_DEFAULTS.maxDelayMs).toBeLessThanOrEqual(1000);
    const only = (reconnect: unknown) => resolveOptions({ ...baseOptions(1), reconnect } as WsTransportOptions);
    expect(only({ minDelayMs: 2000 }).reconnect).toEqual({ minDelayMs: 2000, maxDelayMs: 2000 });
    expect(only({ minDelayMs: RECONNECT_LIMITS.minDelayMs.max, maxDelayMs: RECONNECT_LIMITS.maxDelayMs.max }).reconnect).toEqual({ minDelayMs: 60_000, maxDelayMs: 600_000 });
    expect(invalid({ reconnect: { minDelayMs: 60_001 } })).toMatchObject({ message: expect.stringContaining("reconnect.minDelayMs: Too big") });
    expect(invalid({ reconnect: { maxDelayMs: 600_001 } })).toMatchObject({ message: expect.stringContaining("reconnect.maxDelayMs: Too big") });
  });
});
