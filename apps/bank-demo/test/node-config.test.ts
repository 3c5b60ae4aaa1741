import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, httpUrlOf, loadNodeConfig, parseNodeConfig } from "../src/config/node-config.js";

const valid = { id: 1, clusterId: "bank-demo", dataDir: "/tmp/x", port: 7100, voters: [1, 2, 3], peers: { "2": "127.0.0.1:7102" } };

describe("node config", () => {
  const dir = mkdtempSync(join(tmpdir(), "bank-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fills defaults: gRPC, SQLite, disk snapshots, 127.0.0.1", () => {
    const c = parseNodeConfig(valid, "test");
    expect(c).toMatchObject({ transport: "grpc", log: "sqlite", snapshots: "disk", host: "127.0.0.1", join: false });
    expect(c.tuning.dedupCapacity).toBe(100_000);
  });

  it.each([
    [{ ...valid, port: "7100" }, "port"],
    [{ ...valid, transport: "udp" }, "transport"],
    [{ ...valid, voters: [] }, "voters"],
    [{ ...valid, peers: { two: "127.0.0.1:7102" } }, "peers.two"],
    [{ ...valid, peers: { "2": "no-port" } }, "peers.2"],
    [{ ...valid, tuning: { tickMs: 0 } }, "tuning.tickMs"],
    [{ ...valid, colour: "blue" }, "colour"],
    [{ ...valid, id: 9 }, "voters"],
  ])("refuses %j naming the field %s", (value, field) => {
    expect(() => parseNodeConfig(value, "node.json")).toThrowError(ConfigError);
    expect(() => parseNodeConfig(value, "node.json")).toThrowError(new RegExp(`node\\.json:[\\s\\S]*${field.replace(".", "\\.")}`));
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
