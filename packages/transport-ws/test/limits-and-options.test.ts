import { NodeId, RECONNECT_DEFAULTS, RECONNECT_LIMITS, type Logger } from "@raft/core/contracts";
import { describe, expect, it } from "vitest";
import { WsTransport, type WsTransportOptions } from "../src/index.js";
import { resolveOptions } from "../src/options.js";
import { baseOptions } from "./support/transports.js";

// The options schema, the address parser, the rejection log and the token
// checks are the transport kit's (@raft/core/contracts), tested there; these
// pin what this transport takes from it.

const invalid = (patch: Record<string, unknown>) => {
  try {
    resolveOptions({ ...baseOptions(NodeId.of(1)), ...patch } as WsTransportOptions);
    return "accepted";
  } catch (e) {
    return e as Error & { code?: string };
  }
};

describe("options", () => {
  it("refuses bad options with one InvalidConfig naming every bad field", () => {
    const e = invalid({ keepalive: { timeMs: 5 }, snapshotWindowChunks: 5000, peers: { 2: "no-port" } });
    expect(e).toMatchObject({ code: "InvalidConfig", message: expect.stringMatching(/^invalid WsTransport options: /) });
    for (const field of ["keepalive.timeMs: ", "snapshotWindowChunks: ", "peers.2: "]) expect((e as Error).message).toContain(field);
  });

  it("fills in defaults, accepts peers as an object or a Map, and skips this node's own entry", () => {
    const o = resolveOptions({ ...baseOptions(NodeId.of(1)), peers: { 1: "127.0.0.1:7001", 2: "127.0.0.1:7002", 3: "[::1]:7003" } });
    expect([...o.peers]).toEqual([
      [2, "127.0.0.1:7002"],
      [3, "[::1]:7003"],
    ]);
    expect(o.maxFrameBytes).toBe(16 << 20);
    expect(o.snapshotWindowChunks).toBe(8);
    expect(o.acceptUnknownPeers).toBe(true); // peers configured or not: a lagging node must hear a leader added since
    expect(o.livenessTimeoutMs).toBe(6000); // keepalive 2000 + 4000, the kit's defaults
    expect(resolveOptions(baseOptions(NodeId.of(1))).acceptUnknownPeers).toBe(true);
    expect([...resolveOptions({ ...baseOptions(NodeId.of(1)), peers: new Map([[2, "h:1"]]) }).peers]).toEqual([[2, "h:1"]]);
  });

  it("listen() refuses a port in use with Unavailable", async () => {
    const a = await WsTransport.listen(baseOptions(NodeId.of(1)));
    try {
      const port = Number(a.address.split(":")[1]);
      await expect(WsTransport.listen(baseOptions(NodeId.of(2), { listen: { host: "127.0.0.1", port } }))).rejects.toMatchObject({ code: "Unavailable" });
    } finally {
      await a.close();
    }
  });

  it("updatePeers skips invalid entries instead of throwing", async () => {
    const lines: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (m) => void lines.push(m), error() {} };
    const a = await WsTransport.listen(baseOptions(NodeId.of(1), { logger }));
    try {
      expect(() =>
        a.updatePeers(
          new Map([
            [2, "nope"],
            [0, "127.0.0.1:1"],
          ]),
        ),
      ).not.toThrow();
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
    const only = (reconnect: unknown) => resolveOptions({ ...baseOptions(NodeId.of(1)), reconnect } as WsTransportOptions);
    expect(only({ minDelayMs: 2000 }).reconnect).toEqual({ minDelayMs: 2000, maxDelayMs: 2000 });
    expect(only({ minDelayMs: RECONNECT_LIMITS.minDelayMs.max, maxDelayMs: RECONNECT_LIMITS.maxDelayMs.max }).reconnect).toEqual({ minDelayMs: 60_000, maxDelayMs: 600_000 });
    expect(invalid({ reconnect: { minDelayMs: 60_001 } })).toMatchObject({ message: expect.stringContaining("reconnect.minDelayMs: Too big") });
    expect(invalid({ reconnect: { maxDelayMs: 600_001 } })).toMatchObject({ message: expect.stringContaining("reconnect.maxDelayMs: Too big") });
  });
});
