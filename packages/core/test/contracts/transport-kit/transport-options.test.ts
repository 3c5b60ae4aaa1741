import { describe, expect, it } from "vitest";
import { parseOptions, resolveTransportOptions, silentLogger, TRANSPORT_DEFAULTS, transportOptionsSchema } from "../../../src/contracts/index.js";

const base = { id: 1, clusterId: "c", listen: { host: "127.0.0.1", port: 0 } };
const parse = (input: unknown) => resolveTransportOptions(parseOptions(transportOptionsSchema, input, "transport options"));
const problem = (patch: Record<string, unknown>): string => {
  try {
    parse({ ...base, ...patch });
  } catch (e) {
    expect(e).toMatchObject({ code: "InvalidConfig" });
    return (e as Error).message;
  }
  return "accepted";
};

describe("transport options", () => {
  it.each([
    [{ id: 0 }, "id"],
    [{ id: 1.5 }, "id"],
    [{ clusterId: "has space" }, "clusterId"],
    [{ listen: { host: "", port: 0 } }, "listen.host"],
    [{ listen: { host: "h", port: 70000 } }, "listen.port"],
    [{ peers: { 0: "127.0.0.1:1" } }, "peers.0"],
    [{ peers: { 2: "no-port" } }, "peers.2"],
    [{ peers: new Map([[2, "http://x:1"]]) }, "peers.2"],
    [{ peers: [] }, "peers"],
    [{ dialVia: { 2: "x" } }, "dialVia.2"],
    [{ auth: { token: "" } }, "auth.token"],
    [{ auth: { token: "has space" } }, "auth.token"],
    [{ tls: { cert: "", key: "k" } }, "tls.cert"],
    [{ tls: { cert: "c", key: "k", requireClientCert: true } }, "tls.ca"],
    [{ tls: { cert: "c", key: "k", ca: [] } }, "tls.ca"],
    [{ tls: { cert: "c", key: "k", serverName: "" } }, "tls.serverName"],
    [{ logger: { warn() {} } }, "logger"],
    [{ maxFrameBytes: 100 }, "maxFrameBytes"],
    [{ maxQueuedMessages: 0 }, "maxQueuedMessages"],
    [{ keepalive: { timeMs: 5 } }, "keepalive.timeMs"],
    [{ keepalive: { timeoutMs: 0 } }, "keepalive.timeoutMs"],
    [{ reconnect: { minDelayMs: 100, maxDelayMs: 50 } }, "reconnect.maxDelayMs"],
    [{ deadlines: { connectMs: 0 } }, "deadlines.connectMs"],
    [{ deadlines: { snapshotIdleMs: 1.5 } }, "deadlines.snapshotIdleMs"],
    [{ advertise: "nowhere" }, "advertise"],
    [{ snapshotWindowChunks: 5000 }, "snapshotWindowChunks"],
    [{ rejectionLogIntervalMs: 0 }, "rejectionLogIntervalMs"],
    [{ acceptUnknownPeers: "yes" }, "acceptUnknownPeers"],
  ])("refuses %j, naming %s", (patch, field) => {
    expect(problem(patch)).toMatch(new RegExp(`^invalid transport options: (.*; )?${field.replace(".", "\\.")}: `));
  });

  it("names every bad field at once", () => {
    expect(problem({ id: 0, maxFrameBytes: 1 })).toMatch(/id: .*; maxFrameBytes: /);
  });

  it("refuses options it does not know, at any depth (a misspelt option is not silently ignored)", () => {
    expect(problem({ maxFrameByte: 1 << 20 })).toContain("maxFrameByte: is not an option");
    expect(problem({ keepalive: { timeoutMS: 10 } })).toContain("keepalive.timeoutMS: is not an option");
  });

  it("fills in the defaults, turns peers into a Map without this node, and ca into a list", () => {
    const o = parse({ ...base, peers: { 1: "127.0.0.1:7001", 2: "127.0.0.1:7002", 3: "[::1]:7003" }, tls: { cert: "c", key: "k", ca: "a" } });
    expect([...o.peers]).toEqual([
      [2, "127.0.0.1:7002"],
      [3, "[::1]:7003"],
    ]);
    expect(o.tls?.ca).toEqual(["a"]);
    expect(o.tls?.requireClientCert).toBe(false);
    expect(o).toMatchObject({
      maxFrameBytes: TRANSPORT_DEFAULTS.maxFrameBytes,
      keepalive: TRANSPORT_DEFAULTS.keepalive,
      deadlines: TRANSPORT_DEFAULTS.deadlines,
      reconnect: { minDelayMs: 100, maxDelayMs: 500 },
      acceptUnknownPeers: true,
      logger: silentLogger,
      secret: undefined,
    });
    expect(parse(base).acceptUnknownPeers).toBe(true);
    expect([...parse({ ...base, peers: new Map([[2, "h:1"]]) }).peers]).toEqual([[2, "h:1"]]);
    expect(parse({ ...base, auth: { token: "s3cret" } }).secret).toBe("s3cret");
  });
});
