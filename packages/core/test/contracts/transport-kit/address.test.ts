import { describe, expect, it } from "vitest";
import { advertisedAddress, formatAddress, isAddress, parseAddress } from "../../../src/contracts/index.js";

describe("addresses", () => {
  it("parses host:port, bracketed IPv6 and container names, and refuses the rest", () => {
    expect(parseAddress("10.0.0.1:7001")).toEqual({ host: "10.0.0.1", port: 7001 });
    expect(parseAddress("node-2.raft.svc:443")).toEqual({ host: "node-2.raft.svc", port: 443 });
    expect(parseAddress("raft_node_2:7001")).toEqual({ host: "raft_node_2", port: 7001 });
    expect(parseAddress("[::1]:9")).toEqual({ host: "::1", port: 9 });
    for (const bad of ["", ":1", "h:", "h:65536", "h:0", "h:1:2", "ws://h:1", "h :1", "::1:9", "-h:1", "h.:1", `${"a".repeat(300)}:1`, 7]) {
      expect(parseAddress(bad), String(bad)).toBeUndefined();
      expect(isAddress(bad)).toBe(false);
    }
  });

  it("formats IPv6 hosts in brackets, once", () => {
    expect(formatAddress("::1", 9)).toBe("[::1]:9");
    expect(formatAddress("[::1]", 9)).toBe("[::1]:9");
    expect(formatAddress("h", 9)).toBe("h:9");
  });

  it("advertises the configured address, else the bound one unless the host is a wildcard", () => {
    expect(advertisedAddress("a:1", "0.0.0.0", 7)).toBe("a:1");
    expect(advertisedAddress(undefined, "127.0.0.1", 7)).toBe("127.0.0.1:7");
    for (const wildcard of ["0.0.0.0", "::", "[::]"]) expect(advertisedAddress(undefined, wildcard, 7)).toBeUndefined();
  });
});
