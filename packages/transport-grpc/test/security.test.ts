import { ChannelCredentials, status } from "@grpc/grpc-js";
import { encodeMessages, Index, NodeId, nodeToken, Term, type Message, type TransportHandlers } from "@raft/core/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { GrpcTransport } from "../src/index.js";
import { encodeFrame } from "../src/service-definition.js";
import { makeCa, makeNodeCert } from "./certs.js";
import { metadata, RawClient } from "./raw-client.js";
import { closeAll, RecordingLogger, waitFor, type Extra } from "./support.js";

const heartbeat = (from: NodeId, to: NodeId, round = 1): Message => ({ type: "Heartbeat", from, to, term: Term.of(1), commit: Index.zero, round });

const open: GrpcTransport[] = [];
afterEach(async () => {
  await closeAll(open.splice(0));
});

interface Node {
  transport: GrpcTransport;
  logger: RecordingLogger;
  inbox: Message[];
}

async function node(id: NodeId, extra: Extra & { clusterId?: string; peers?: Record<string, string> } = {}): Promise<Node> {
  const logger = new RecordingLogger();
  const transport = await GrpcTransport.listen({ clusterId: "bank", ...extra, id, listen: { host: "127.0.0.1", port: 0 }, logger, reconnect: { minDelayMs: 20, maxDelayMs: 100 } });
  open.push(transport);
  const inbox: Message[] = [];
  const handlers: TransportHandlers = {
    onMessage: (m) => inbox.push(m),
    onSnapshotRequest: () => {
      throw new Error("no snapshots here");
    },
  };
  await transport.start(handlers);
  return { transport, logger, inbox };
}

/** `from` keeps sending to `to` until `to` has refused it (by its counters), then checks nothing was delivered. */
async function expectRefused(from: Node, to: Node, toId: NodeId, reason: string): Promise<void> {
  from.transport.updatePeers(new Map([[toId, to.transport.address]]));
  await waitFor(() => {
    from.transport.send([heartbeat(from.transport.id, toId)]);
    return (to.transport.stats().rejections[reason] ?? 0) > 0;
  }, `node ${toId} to refuse node ${from.transport.id} (${reason})`);
  expect(to.inbox).toEqual([]);
  expect(to.transport.stats().rejectedCalls).toBeGreaterThan(0);
  const line = to.logger.withReason(reason)[0];
  expect(line?.level).toBe("warn");
  expect(line?.fields.caller).toBe(String(from.transport.id));
  // The caller learns it was refused, and says so.
  await waitFor(() => (from.transport.stats().refusals["refused by peer"] ?? 0) > 0, "the caller to see the refusal");
  expect(from.logger.withReason("refused by peer")[0]?.fields.peer).toBe(toId);
}

async function expectDelivered(from: Node, to: Node, toId: NodeId): Promise<void> {
  from.transport.updatePeers(new Map([[toId, to.transport.address]]));
  from.transport.send([heartbeat(from.transport.id, toId, 42)]);
  await waitFor(() => to.inbox.length > 0, `delivery from ${from.transport.id} to ${toId}`);
  expect(to.inbox[0]).toEqual(heartbeat(from.transport.id, toId, 42));
}

describe("the handshake", () => {
  it("refuses a peer of another cluster, and logs why", async () => {
    const a = await node(NodeId.of(1), { clusterId: "other" });
    const b = await node(NodeId.of(2));
    await expectRefused(a, b, NodeId.of(2), "wrong cluster id");
  });

  it("refuses a caller without its node's token or with a wrong one, never logging a secret or a token", async () => {
    const auth = { token: "s3cret-token" };
    const b = await node(NodeId.of(2), { auth });
    const none = await node(NodeId.of(1));
    await expectRefused(none, b, NodeId.of(2), "bad token");
    const b2 = await node(NodeId.of(2), { auth });
    const wrong = await node(NodeId.of(3), { auth: { token: "guessed-token" } });
    await expectRefused(wrong, b2, NodeId.of(2), "bad token");
    const right = await node(NodeId.of(4), { auth });
    await expectDelivered(right, b, NodeId.of(2));
    const logged = JSON.stringify([b, b2, none, wrong, right].flatMap((n) => n.logger.lines));
    expect(logged).not.toContain("s3cret-token");
    expect(logged).not.toContain("guessed-token");
    expect(logged).not.toContain(nodeToken("s3cret-token", "bank", NodeId.of(4)));
  });

  it("refuses node 1's stolen token presented by a caller claiming to be node 3", async () => {
    const b = await node(NodeId.of(2), { auth: { token: "s3cret-token" } });
    const stolen = nodeToken("s3cret-token", "bank", NodeId.of(1));
    // The thief has node 1's token (what node 1 sends on the wire), not the cluster secret.
    const raw = new RawClient(b.transport.address, ChannelCredentials.createInsecure());
    try {
      const asThree = await raw.messages(metadata({ "raft-from": "3", "raft-token": stolen }), [encodeFrame(encodeMessages([heartbeat(NodeId.of(3), NodeId.of(2))]))]);
      expect(asThree.error?.code).toBe(status.UNAUTHENTICATED);
      // The same token is good for node 1 itself.
      const asOne = await raw.messages(metadata({ "raft-from": "1", "raft-token": stolen }), [encodeFrame(encodeMessages([heartbeat(NodeId.of(1), NodeId.of(2))]))]);
      expect(asOne.error).toBeNull();
    } finally {
      raw.close();
    }
    expect(b.transport.stats().rejections["bad token"]).toBe(1);
    expect(b.logger.withReason("bad token")[0]?.fields.caller).toBe("3");
    expect(b.inbox.map((m) => m.from)).toEqual([1]);
  });

  it("with acceptUnknownPeers: false, refuses a node it does not know", async () => {
    const a = await node(NodeId.of(1));
    const b = await node(NodeId.of(2), { peers: { 1: a.transport.address }, acceptUnknownPeers: false });
    const stranger = await node(NodeId.of(3));
    await expectRefused(stranger, b, NodeId.of(2), "unknown node");
    await expectDelivered(a, b, NodeId.of(2));
  });

  it("by default accepts a node it does not know, though its peers are configured: a leader added while it lagged", async () => {
    const b = await node(NodeId.of(2), { peers: { 1: "127.0.0.1:9" } });
    const stranger = await node(NodeId.of(3));
    await expectDelivered(stranger, b, NodeId.of(2));
  });

  it("refuses a call meant for another node (a stale address)", async () => {
    const a = await node(NodeId.of(1));
    const c = await node(NodeId.of(3));
    // Node 1 believes node 2 listens where node 3 does.
    await expectRefused(a, c, NodeId.of(2), "wrong target node");
  });
});

describe("TLS", async () => {
  const ca = await makeCa("cluster CA");
  const rogueCa = await makeCa("rogue CA");
  const certs = await Promise.all([1, 2, 3].map((id) => makeNodeCert(ca, `node ${id}`, "bank", [id])));
  const rogue = await makeNodeCert(rogueCa, "rogue node", "bank", [1]);
  const mtlsAs = (id: NodeId) => ({ tls: { ...(certs[id - 1] as { cert: string; key: string }), ca: ca.cert, requireClientCert: true } });

  it("carries messages between nodes with certificates from the cluster's CA", async () => {
    const a = await node(NodeId.of(1), mtlsAs(NodeId.of(1)));
    const b = await node(NodeId.of(2), mtlsAs(NodeId.of(2)));
    await expectDelivered(a, b, NodeId.of(2));
    await expectDelivered(b, a, NodeId.of(1));
  });

  it("refuses a caller with no client certificate when mutual TLS is on", async () => {
    const b = await node(NodeId.of(2), mtlsAs(NodeId.of(2)));
    // TLS that trusts the server, and the right metadata, but no certificate of its own.
    const raw = new RawClient(b.transport.address, ChannelCredentials.createSsl(Buffer.from(ca.cert)));
    try {
      const { error } = await raw.messages(metadata({}), [encodeFrame(encodeMessages([heartbeat(NodeId.of(1), NodeId.of(2))]))]);
      expect(error?.code).toBe(status.UNAUTHENTICATED);
    } finally {
      raw.close();
    }
    expect(b.inbox).toEqual([]);
    expect(b.transport.stats().rejections["no client certificate"]).toBe(1);
    expect(b.logger.withReason("no client certificate")).toHaveLength(1);
  });

  it("refuses a caller whose certificate another CA signed", async () => {
    const b = await node(NodeId.of(2), mtlsAs(NodeId.of(2)));
    const a = await node(NodeId.of(1), { tls: { cert: rogue.cert, key: rogue.key, ca: ca.cert } });
    await expectRefused(a, b, NodeId.of(2), "no client certificate");
  });

  it("refuses a caller whose certificate names another node (node 1's stolen certificate used as node 3)", async () => {
    const b = await node(NodeId.of(2), mtlsAs(NodeId.of(2)));
    const thief = await node(NodeId.of(3), mtlsAs(NodeId.of(1)));
    await expectRefused(thief, b, NodeId.of(2), "certificate mismatch");
    expect(b.logger.withReason("certificate mismatch")[0]?.fields.caller).toBe("3");
    // A certificate that names no node of the cluster is refused the same way.
    const unnamed = await makeNodeCert(ca, "no node", "bank", []);
    const c = await node(NodeId.of(1), { tls: { ...unnamed, ca: ca.cert, requireClientCert: true } });
    const b2 = await node(NodeId.of(2), mtlsAs(NodeId.of(2)));
    await expectRefused(c, b2, NodeId.of(2), "certificate mismatch");
  });

  it("refuses a plaintext caller to a TLS server (it cannot even connect)", async () => {
    const b = await node(NodeId.of(2), mtlsAs(NodeId.of(2)));
    const a = await node(NodeId.of(1));
    a.transport.updatePeers(new Map([[NodeId.of(2), b.transport.address]]));
    await waitFor(() => {
      a.transport.send([heartbeat(NodeId.of(1), NodeId.of(2))]);
      return (a.transport.stats().refusals["peer unreachable"] ?? 0) > 1;
    }, "failed attempts");
    expect(b.inbox).toEqual([]);
  });
});
