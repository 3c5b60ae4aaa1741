import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, httpUrlOf, loadNodeConfig, parseNodeConfig } from "../src/config/node-config.js";
import { s3PrefixOf } from "../src/node/adapters.js";

const valid = { id: 1, clusterId: "bank-demo", dataDir: "/tmp/x", port: 7100, voters: [1, 2, 3], peers: { "2": "127.0.0.1:7102" } };

describe("node config", () => {
  const dir = mkdtempSync(join(tmpdir(), "bank-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fills defaults: gRPC, SQLite, disk snapshots, 127.0.0.1", () => {
    const c = parseNodeConfig(valid, "test");
    expect(c).toMatchObject({ transport: "grpc", log: "sqlite", snapshots: "disk", host: "127.0.0.1", join: false });
    expect(c.tuning.dedupCapacity).toBe(100_000);
    expect(c.dialVia).toEqual({});
  });

  it("takes dial overrides per peer (a proxy in front of it)", () => {
    expect(parseNodeConfig({ ...valid, dialVia: { "2": "127.0.0.1:9002" } }, "test").dialVia).toEqual({ "2": "127.0.0.1:9002" });
  });

  it.each([
    [{ ...valid, port: "7100" }, "port"],
    [{ ...valid, transport: "udp" }, "transport"],
    [{ ...valid, voters: [] }, "voters"],
    [{ ...valid, peers: { two: "127.0.0.1:7102" } }, "peers.two"],
    [{ ...valid, peers: { "2": "no-port" } }, "peers.2"],
    [{ ...valid, dialVia: { "2": "no-port" } }, "dialVia.2"],
    [{ ...valid, tuning: { tickMs: 0 } }, "tuning.tickMs"],
    [{ ...valid, colour: "blue" }, "colour"],
    [{ ...valid, id: 9 }, "voters"],
    [{ ...valid, snapshots: "s3" }, "s3"],
    [{ ...valid, s3: { bucket: "snaps" } }, "s3"],
    [{ ...valid, snapshots: "s3", s3: { bucket: "No_Such!" } }, "s3.bucket"],
    [{ ...valid, snapshots: "s3", s3: { bucket: "snaps", endpoint: "ftp://x" } }, "s3.endpoint"],
    [{ ...valid, snapshots: "s3", s3: { bucket: "snaps", prefix: "/abs" } }, "s3.prefix"],
    [{ ...valid, snapshots: "s3", s3: { bucket: "snaps", layout: "mixed" } }, "s3.layout"],
    [{ ...valid, snapshots: "s3", s3: { bucket: "snaps", secret: "x" } }, "s3"],
  ])("refuses %j naming the field %s", (value, field) => {
    expect(() => parseNodeConfig(value, "node.json")).toThrowError(ConfigError);
    expect(() => parseNodeConfig(value, "node.json")).toThrowError(new RegExp(`node\\.json:[\\s\\S]*${field.replace(".", "\\.")}`));
  });

  it('takes an S3 section with snapshots "s3": a prefix per node by default', () => {
    const c = parseNodeConfig({ ...valid, snapshots: "s3", s3: { bucket: "snaps", endpoint: "http://127.0.0.1:7099" } }, "test");
    expect(c.s3).toEqual({ bucket: "snaps", prefix: "bank-demo/", region: "us-east-1", endpoint: "http://127.0.0.1:7099", layout: "per-node" });
    expect(s3PrefixOf(c)).toBe("bank-demo/node-1/");
    expect(s3PrefixOf({ ...c, s3: { ...c.s3!, prefix: "clusters/a", layout: "shared" } })).toBe("clusters/a/");
  });

  it("names the file when it is missing or not JSON", () => {
    expect(() => loadNodeConfig(join(dir, "missing.json"))).toThrowError(/cannot read node config .*missing\.json/);
    writeFileSync(join(dir, "bad.json"), "{ id: 1");
    expect(() => loadNodeConfig(join(dir, "bad.json"))).toThrowError(/bad\.json is not valid JSON/);
  });

  it("derives a node's HTTP URL from its Raft address", () => {
    expect(httpUrlOf("127.0.0.1:7100")).toBe("http://127.0.0.1:7101");
  });
});
