import type { Message } from "@raft/core/contracts";
import { TcpProxy } from "@raft/core/testing";
import { expect, it } from "vitest";
import { WsTransport } from "../src/index.js";
import { baseOptions, closedAfterEach, heartbeat, inbox, waitFor } from "./support/transports.js";

const open = closedAfterEach();

it("dials a peer through its dialVia address even when membership gives the peer's own", async () => {
  const b = await WsTransport.listen(baseOptions(2));
  open.push(b);
  const atB = inbox();
  await b.start(atB.handlers);
  const proxy = await TcpProxy.listen(b.address);
  open.push(proxy);
  const a = await WsTransport.listen(baseOptions(1, { peers: { 2: b.address }, dialVia: { 2: proxy.address } }));
  open.push(a);
  a.updatePeers(new Map([[2, b.address]]));
  await a.start(inbox().handlers);
  const received: Message[] = atB.messages;
  let round = 0;
  const timer = setInterval(() => a.send([heartbeat(1, 2, ++round)]), 10);
  try {
    await waitFor(() => received.length >= 3, "heartbeats at node 2");
    expect(proxy.stats().accepted).toBeGreaterThan(0);
    expect(proxy.stats().bytes.clientToServer).toBeGreaterThan(0);
    // With the proxy cut, nothing reaches node 2 any more: node 1 has no other way to it.
    proxy.cut();
    await new Promise((r) => setTimeout(r, 100));
    const before = received.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(received.length).toBe(before);
  } finally {
    clearInterval(timer);
  }
});

it("refuses a dialVia entry that is not host:port", async () => {
  await expect(WsTransport.listen(baseOptions(1, { dialVia: { 2: "nowhere" } }))).rejects.toThrow(/dialVia/);
});
