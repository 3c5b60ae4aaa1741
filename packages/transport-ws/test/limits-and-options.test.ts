import { RECONNECT_DEFAULTS, RECONNECT_LIMITS, type Logger } from "@raft/core/contracts";
import { describe, expect, it } from "vitest";
import { formatAddress, parseAddress } from "../src/address.js";
import { tokensEqual } from "../src/handshake.js";
import { WsTransport, type WsTransportOptions } from "../src/index.js";
import { resolveOptions } from "../src/options.js";
import { RejectionLog } from "../src/rejection-log.js";
import { baseOptions } from "./support/transports.js";

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
    [{ peers: { 0: "127.0.0.1:1" } }, "peers[0]"],
    [{ peers: { 2: "no-port" } }, "peers[2]"],
    [{ peers: { 2: "127.0.0.1:0" } }, "peers[2]"],
    [{ peers: new Map([[2, "http://x:1"]]) }, "peers[2]"],
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
    expect((e as Error).message).toContain(`option ${field} `);
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
    expect(o.livenessTimeoutMs).toBe(5000);
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

describe("addresses", () => {
  it("parses host:port and bracketed IPv6, and refuses the rest", () => {
    expect(parseAddress("10.0.0.1:7001")).toEqual({ host: "10.0.0.1", port: 7001 });
    expect(parseAddress("node-2.raft.svc:443")).toEqual({ host: "node-2.raft.svc", port: 443 });
    expect(parseAddress("[::1]:9")).toEqual({ host: "::1", port: 9 });
    for (const bad of ["", ":1", "h:", "h:65536", "h:0", "h:1:2", "ws://h:1", "h :1", "::1:9"]) expect(parseAddress(bad), bad).toBeUndefined();
    expect(formatAddress("::1", 9)).toBe("[::1]:9");
  });
});

describe("reconnect", () => {
  it("has the defaults and limits of @raft/transport-grpc (core's RECONNECT_DEFAULTS and RECONNECT_LIMITS)", () => {
    const o = resolveOptions({ id: 1, clusterId: "c", listen: { host: "127.0.0.1", port: 0 } });
    expect([o.reconnectMinMs, o.reconnectMaxMs]).toEqual([RECONNECT_DEFAULTS.minDelayMs, RECONNECT_DEFAULTS.maxDelayMs]);
    expect(RECONNECT_DEFAULTS.maxDelayMs).toBeLessThanOrEqual(1000);
    const only = (reconnect: unknown) => resolveOptions({ ...baseOptions(1), reconnect } as WsTransportOptions);
    expect(only({ minDelayMs: 2000 })).toMatchObject({ reconnectMinMs: 2000, reconnectMaxMs: 2000 });
    expect(only({ minDelayMs: RECONNECT_LIMITS.minDelayMs.max, maxDelayMs: RECONNECT_LIMITS.maxDelayMs.max })).toMatchObject({ reconnectMaxMs: 600_000 });
    expect(invalid({ reconnect: { minDelayMs: 60_001 } })).toMatchObject({ message: expect.stringContaining("option reconnect.minDelayMs must be an integer in [1, 60000]") });
    expect(invalid({ reconnect: { maxDelayMs: 600_001 } })).toMatchObject({ message: expect.stringContaining("option reconnect.maxDelayMs must be an integer in [1, 600000]") });
  });
});

describe("rejection log", () => {
  it("logs one line per reason per second, carrying the count it suppressed", () => {
    const lines: Record<string, unknown>[] = [];
    let now = 0;
    const log = new RejectionLog({ debug() {}, info() {}, warn: (_m, f) => void lines.push(f ?? {}), error() {} }, () => now);
    for (let i = 0; i < 500; i++) {
      log.record("rejected", "a", { i });
      log.record("rejected", "b", { i });
      now += 5; // 500 × 5 ms = 2.5 s
    }
    expect(lines.map((l) => [l.reason, l.i, l.suppressed])).toEqual([
      ["a", 0, 0],
      ["b", 0, 0],
      ["a", 200, 199],
      ["b", 200, 199],
      ["a", 400, 199],
      ["b", 400, 199],
    ]);
  });
});

describe("tokens", () => {
  it("compares in constant time whatever the lengths", () => {
    expect(tokensEqual("secret", "secret")).toBe(true);
    expect(tokensEqual("secret", "secreT")).toBe(false);
    expect(tokensEqual("s", "a-much-longer-secret")).toBe(false);
  });
});
