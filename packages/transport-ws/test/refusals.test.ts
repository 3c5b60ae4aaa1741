import { connect } from "node:net";
import { NodeId, nodeToken, type Message } from "@raft/core/contracts";
import { describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { SUBPROTOCOL, type WsTransportOptions } from "../src/index.js";
import { upgrade } from "./support/attacker.js";
import { testPki } from "./support/pki.js";
import { captureLogger, closedAfterEach, CLUSTER, heartbeat, type LogLine, startedNode, waitFor } from "./support/transports.js";

const open = closedAfterEach();

async function node(id: number, extra: Partial<WsTransportOptions> = {}) {
  const log = captureLogger();
  return { ...(await startedNode(open, NodeId.of(id), { logger: log.logger, ...extra })), log };
}

const refusalLines = (lines: LogLine[], reason: string) => lines.filter((l) => l.level === "warn" && l.message.includes("refused a connection") && l.fields.reason === reason);

/** Makes `from` send to node 1 at `to`'s address, and waits until `to` refuses it for `reason`. */
async function expectRefused(to: Awaited<ReturnType<typeof node>>, from: Awaited<ReturnType<typeof node>>, reason: string, sendAs: Message = heartbeat(from.t.id, NodeId.of(1), 1)) {
  from.t.updatePeers(new Map([[sendAs.to, to.t.address]]));
  from.t.send([sendAs]);
  await waitFor(() => (to.t.stats().rejectedByReason[reason as never] ?? 0) >= 1, `a ${reason} refusal`);
  await waitFor(() => from.t.stats().dialFailures >= 1, "the dialer to see the refusal");
  expect(to.messages).toEqual([]);
  expect(to.t.stats().connections).toBe(0);
  expect(refusalLines(to.log.lines, reason).length).toBeGreaterThan(0);
  // The dialer logs why it cannot connect, with the listener's reason.
  expect(from.log.lines.some((l) => l.message.includes("cannot reach a peer") && String(l.fields.error).includes(reason))).toBe(true);
}

describe("refusals on upgrade", () => {
  it("refuses a peer of another cluster, and logs the reason", async () => {
    const a = await node(1);
    const b = await node(2, { clusterId: "other-cluster" });
    await expectRefused(a, b, "wrong-cluster");
  });

  it("refuses a wrong token and a missing one, and never logs the token", async () => {
    const a = await node(1, { auth: { token: "right-secret" } });
    const wrong = await node(2, { auth: { token: "wrong-secret" } });
    await expectRefused(a, wrong, "wrong-token");
    const none = await node(3);
    await expectRefused(a, none, "missing-token");
    const everything = JSON.stringify([...a.log.lines, ...wrong.log.lines]);
    expect(everything).not.toContain("right-secret");
    expect(everything).not.toContain("wrong-secret");
  });

  it("refuses node 2's stolen token presented by a dialer claiming to be node 3", async () => {
    const a = await node(1, { auth: { token: "right-secret" } });
    const stolen = nodeToken("right-secret", CLUSTER, NodeId.of(2));
    const headers = { "x-raft-cluster": CLUSTER, "x-raft-target": "1", authorization: `Bearer ${stolen}` };
    expect(await upgrade(a.t.address, { ...headers, "x-raft-node": "3" })).toBe(401);
    await waitFor(() => (a.t.stats().rejectedByReason["wrong-token"] ?? 0) === 1, "the refusal");
    expect(refusalLines(a.log.lines, "wrong-token")[0]?.fields.detail).toContain("not node 3's");
    // The same token is good for node 2 itself.
    expect(await upgrade(a.t.address, { ...headers, "x-raft-node": "2" })).toBe(101);
    expect(JSON.stringify(a.log.lines)).not.toContain(stolen);
  });

  it("accepts the right token", async () => {
    const a = await node(1, { auth: { token: "right-secret" } });
    const b = await node(2, { auth: { token: "right-secret" } });
    b.t.updatePeers(new Map([[1, a.t.address]]));
    b.t.send([heartbeat(NodeId.of(2), NodeId.of(1), 5)]);
    await waitFor(() => a.messages.length === 1, "delivery");
    expect(a.t.stats().rejectedConnections).toBe(0);
  });

  it("refuses a dialer that meant another node (its address book is wrong)", async () => {
    const a = await node(1);
    const b = await node(2);
    await expectRefused(a, b, "wrong-target", heartbeat(NodeId.of(2), NodeId.of(3), 1));
  });

  it("by default, with peers configured, accepts a node id it has no address for (a leader added while it lagged)", async () => {
    const a = await node(1, { peers: { 3: "127.0.0.1:9" } });
    const b = await node(2);
    b.t.updatePeers(new Map([[1, a.t.address]]));
    b.t.send([heartbeat(NodeId.of(2), NodeId.of(1), 1)]);
    await waitFor(() => a.messages.length === 1, "delivery from a node a does not know");
  });

  it("acceptUnknownPeers: false refuses a node id it has no address for, until membership gives one", async () => {
    const a = await node(1, { peers: { 3: "127.0.0.1:9" }, acceptUnknownPeers: false });
    const b = await node(2);
    await expectRefused(a, b, "unknown-peer");
    a.t.updatePeers(new Map([[2, b.t.address]]));
    b.t.send([heartbeat(NodeId.of(2), NodeId.of(1), 2)]);
    // The message queued while refused is still there: both arrive, in order.
    await waitFor(() => a.messages.length === 2, "delivery once node 2 is a member with an address");
    expect(a.messages).toEqual([heartbeat(NodeId.of(2), NodeId.of(1), 1), heartbeat(NodeId.of(2), NodeId.of(1), 2)]);
  });

  it("acceptUnknownPeers: false refuses unknown ids even without configured peers", async () => {
    const a = await node(1, { acceptUnknownPeers: false });
    const b = await node(2);
    await expectRefused(a, b, "unknown-peer");
  });

  it("refuses malformed node ids, missing subprotocols, plain HTTP and non-HTTP bytes", async () => {
    const a = await node(1);
    const good = { "x-raft-cluster": CLUSTER, "x-raft-node": "2", "x-raft-target": "1" };
    expect(await upgrade(a.t.address, { ...good, "x-raft-node": "0" })).toBe(403);
    expect(await upgrade(a.t.address, { ...good, "x-raft-node": "1" })).toBe(403); // this node's own id
    expect(await upgrade(a.t.address, { ...good, "x-raft-node": "99999999999999999999" })).toBe(403);
    expect(await upgrade(a.t.address, good, { protocol: "chat" })).toBe(400);
    const res = await fetch(`http://${a.t.address}/`);
    expect(res.status).toBe(426);
    await new Promise<void>((resolve) => {
      const s = connect(Number(a.t.address.split(":")[1]), "127.0.0.1", () => s.end("\x00\x01 not http at all\r\n\r\n"));
      s.on("close", () => resolve());
      s.on("error", () => resolve());
      s.resume();
    });
    await waitFor(() => (a.t.stats().rejectedByReason["bad-http"] ?? 0) === 1, "the garbage to be refused");
    expect(a.t.stats().rejectedByReason).toEqual({ "bad-node-id": 3, protocol: 1, "not-websocket": 1, "bad-http": 1 });
    expect(await upgrade(a.t.address, good)).toBe(101);
  });

  it("does not send to a listener that is not the node it dialed", async () => {
    // An impostor that accepts any upgrade and claims to be node 1 of another cluster.
    const received: unknown[] = [];
    const impostor = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => SUBPROTOCOL });
    open.push({ close: () => new Promise<void>((r) => impostor.close(() => r())) });
    impostor.on("headers", (h) => h.push("X-Raft-Cluster: elsewhere", "X-Raft-Node: 1"));
    impostor.on("connection", (ws) => ws.on("message", (m) => received.push(m)));
    await new Promise((r) => impostor.once("listening", r));
    const b = await node(2);
    const port = (impostor.address() as { port: number }).port;
    b.t.updatePeers(new Map([[1, `127.0.0.1:${port}`]]));
    b.t.send([heartbeat(NodeId.of(2), NodeId.of(1), 1)]);
    await waitFor(() => b.t.stats().dialFailures >= 1, "the dial to fail");
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual([]);
    expect(b.log.lines.some((l) => String(l.fields.error).includes("not in cluster"))).toBe(true);
  });
});

describe("refusals under mTLS", () => {
  it("refuses a dialer without a client certificate, and one signed by another CA", async () => {
    const pki = await testPki();
    const tls = (id: number) => ({ ...pki.node(id), ca: pki.ca, requireClientCert: true });
    const a = await node(1, { tls: tls(1) });
    const headers = { "x-raft-cluster": CLUSTER, "x-raft-node": "2", "x-raft-target": "1" };
    const refused = await upgrade(a.t.address, headers, { tls: { ca: pki.ca } });
    expect(refused).not.toBe(101);
    await waitFor(() => (a.t.stats().rejectedByReason.tls ?? 0) === 1, "the TLS refusal");
    expect(refusalLines(a.log.lines, "tls")[0]?.fields.detail).toBe("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE");

    const outsider = await node(2, { tls: { cert: pki.outsider.cert, key: pki.outsider.key, ca: pki.ca } });
    outsider.t.updatePeers(new Map([[1, a.t.address]]));
    outsider.t.send([heartbeat(NodeId.of(2), NodeId.of(1), 1)]);
    await waitFor(() => (a.t.stats().rejectedByReason.tls ?? 0) === 2, "the second TLS refusal");
    expect(a.messages).toEqual([]);

    const member = await node(3, { tls: tls(3) });
    member.t.updatePeers(new Map([[1, a.t.address]]));
    member.t.send([heartbeat(NodeId.of(3), NodeId.of(1), 1)]);
    await waitFor(() => a.messages.length === 1, "a member's message");
  });

  it("refuses a dialer whose certificate names another node (node 2's stolen certificate used as node 3), or none", async () => {
    const pki = await testPki();
    const a = await node(1, { tls: { ...pki.node(1), ca: pki.ca, requireClientCert: true } });
    const thief = await node(3, { tls: { ...pki.node(2), ca: pki.ca, requireClientCert: true } });
    await expectRefused(a, thief, "certificate-mismatch");
    expect(refusalLines(a.log.lines, "certificate-mismatch")[0]?.fields.detail).toContain("node 2's, not node 3's");
    const anonymous = await node(4, { tls: { ...pki.anonymous, ca: pki.ca, requireClientCert: true } });
    await expectRefused(a, anonymous, "certificate-mismatch");
    expect(a.messages).toEqual([]);
  });
});
