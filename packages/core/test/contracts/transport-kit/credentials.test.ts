import { describe, expect, it } from "vitest";
import { certificateMismatch, certificateNodeIds, isNodeToken, nodeToken, secretsEqual } from "../../../src/contracts/index.js";
import { NodeId } from "../../../src/engine/index.js";

describe("credentials", () => {
  it("compares secrets in constant time whatever the lengths", () => {
    expect(secretsEqual("secret", "secret")).toBe(true);
    expect(secretsEqual("secret", "secreT")).toBe(false);
    expect(secretsEqual("s", "a-much-longer-secret")).toBe(false);
  });

  it("derives one token per node and cluster: one node's token does not speak for another", () => {
    const t2 = nodeToken("cluster-secret", "bank", NodeId.of(2));
    expect(t2).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(t2).not.toContain("cluster-secret");
    expect(isNodeToken(t2, "cluster-secret", "bank", NodeId.of(2))).toBe(true);
    expect(isNodeToken(t2, "cluster-secret", "bank", NodeId.of(3))).toBe(false);
    expect(isNodeToken(t2, "cluster-secret", "other", NodeId.of(2))).toBe(false);
    expect(isNodeToken(t2, "another-secret", "bank", NodeId.of(2))).toBe(false);
    expect(isNodeToken("cluster-secret", "cluster-secret", "bank", NodeId.of(2))).toBe(false);
  });

  it("reads node ids of the cluster from a certificate's SAN URIs or CN", () => {
    const cert = (san: string, cn?: string) => ({ subjectaltname: san, subject: cn === undefined ? undefined : { CN: cn } }) as never;
    expect(certificateNodeIds(cert("DNS:localhost, IP Address:127.0.0.1, URI:raft://bank/2"), "bank")).toEqual([2]);
    expect(certificateNodeIds(cert("DNS:localhost", "raft://bank/3"), "bank")).toEqual([3]);
    expect(certificateNodeIds(cert("URI:raft://other/2"), "bank")).toEqual([]);
    expect(certificateNodeIds(cert("URI:raft://bank/0, URI:raft://bank/x"), "bank")).toEqual([]);
    expect(certificateNodeIds(undefined, "bank")).toEqual([]);
    expect(certificateMismatch(cert("URI:raft://bank/2"), "bank", NodeId.of(2))).toBeUndefined();
    expect(certificateMismatch(cert("URI:raft://bank/2"), "bank", NodeId.of(3))).toContain("node 2's, not node 3's");
    expect(certificateMismatch(cert("DNS:localhost"), "bank", NodeId.of(3))).toContain("names no node of cluster bank");
  });
});
