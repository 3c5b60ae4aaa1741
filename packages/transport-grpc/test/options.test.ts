import { isRaftError } from "@raft/core/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { GrpcTransport, grpcTransportOptionsSchema, type GrpcTransportOptions } from "../src/index.js";
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
  // Each field's limits are the transport kit's, tested in @raft/core (test/contracts/transport-kit); these are this transport's own.
  it("refuses bad options with one InvalidConfig naming every bad field", async () => {
    const message = await refusal({ ...base, snapshotWindowBytes: 10, snapshotWindowChunks: 2000, peers: { 2: "no-port" }, listen: undefined });
    expect(message).toMatch(/^invalid GrpcTransport options: /);
    for (const field of ["snapshotWindowBytes: ", "snapshotWindowChunks: ", "peers.2: ", "listen: "]) expect(message).toContain(field);
  });

  it("takes the kit's defaults, with its own snapshot window", () => {
    const o = grpcTransportOptionsSchema.parse(base);
    expect(o).toMatchObject({ snapshotWindowChunks: 4, snapshotWindowBytes: 8 << 20, maxFrameBytes: 16 << 20, keepalive: { timeMs: 2000, timeoutMs: 4000 } });
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
