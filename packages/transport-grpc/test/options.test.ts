import { isRaftError } from "@raft/core/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { GrpcTransport, type GrpcTransportOptions } from "../src/index.js";
import { closeAll } from "./support.js";

const base: GrpcTransportOptions = { id: 1, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 } };
const open: GrpcTransport[] = [];
afterEach(async () => {
  await closeAll(open.splice(0));
});

async function refusal(options: unknown): Promise<string> {
  const e = await GrpcTransport.listen(options as GrpcTransportOptions).then(
    (t) => {
      open.push(t);
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(isRaftError(e, "InvalidConfig"), String(e)).toBe(true);
  return (e as Error).message;
}

describe("options", () => {
  it("refuses bad options with InvalidConfig naming the field (the limits of the transport kit, shared with @raft/transport-ws)", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ id: 0 }, "id: "],
      [{ id: 1.5 }, "id: "],
      [{ clusterId: "no spaces" }, "clusterId: "],
      [{ clusterId: "" }, "clusterId: "],
      [{ listen: { host: "127.0.0.1", port: 70000 } }, "listen.port: "],
      [{ listen: { host: "", port: 0 } }, "listen.host: "],
      [{ listen: undefined }, "listen: "],
      [{ peers: { 2: "no-port" } }, "peers.2: "],
      [{ peers: { 2: "127.0.0.1:0" } }, "peers.2: "],
      [{ peers: { zero: "127.0.0.1:7000" } }, "peers.zero: "],
      [{ peers: new Map([[-1, "127.0.0.1:7000"]]) }, "peers.-1: "],
      [{ advertise: "nowhere" }, "advertise: "],
      [{ tls: { key: "k" } }, "tls.cert: "],
      [{ tls: { cert: "c", key: "k", requireClientCert: true } }, "tls.ca: "],
      [{ auth: { token: "" } }, "auth.token: "],
      [{ auth: { token: "with space" } }, "auth.token: "],
      [{ maxFrameBytes: 100 }, "maxFrameBytes: "],
      [{ maxQueuedMessages: 0 }, "maxQueuedMessages: "],
      [{ reconnect: { minDelayMs: 500, maxDelayMs: 100 } }, "reconnect.maxDelayMs: "],
      [{ reconnect: { minDelayMs: 0 } }, "reconnect.minDelayMs: "],
      [{ reconnect: 5 }, "reconnect: "],
      [{ keepalive: { timeMs: 5 } }, "keepalive.timeMs: "],
      [{ deadlines: { connectMs: -1 } }, "deadlines.connectMs: "],
      [{ deadlines: { snapshotIdleMs: 1.5 } }, "deadlines.snapshotIdleMs: "],
      [{ snapshotWindowChunks: 2000 }, "snapshotWindowChunks: "],
      [{ snapshotWindowBytes: 10 }, "snapshotWindowBytes: "],
      [{ acceptUnknownPeers: "yes" }, "acceptUnknownPeers: "],
    ];
    for (const [override, field] of cases) expect(await refusal({ ...base, ...override }), JSON.stringify(override)).toContain(field);
  });

  it("binds port 0 to a free port and reports the address it bound", async () => {
    const t = await GrpcTransport.listen({ ...base, peers: new Map([[2, "127.0.0.1:7002"]]) });
    open.push(t);
    expect(t.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(t.address).not.toBe("127.0.0.1:0");
  });

  it("fails with Unavailable when the port is taken", async () => {
    const t = await GrpcTransport.listen(base);
    open.push(t);
    const port = Number(t.address.split(":")[1]);
    const e = await GrpcTransport.listen({ ...base, id: 2, listen: { host: "127.0.0.1", port } }).catch((error: unknown) => error);
    expect(isRaftError(e, "Unavailable")).toBe(true);
  });

  it("can be started once, and not after close", async () => {
    const t = await GrpcTransport.listen(base);
    open.push(t);
    const handlers = { onMessage: () => {}, onSnapshotRequest: () => (async function* () {})() };
    await t.start(handlers);
    await expect(t.start(handlers)).rejects.toMatchObject({ code: "InvalidConfig" });
    await t.close();
    await t.close();
    await expect(t.start(handlers)).rejects.toMatchObject({ code: "Stopped" });
  });
});
