import { runLinkHealContract } from "@raft/core/conformance";
import { expect } from "vitest";
import { WsTransport } from "../src/index.js";
import { CLUSTER } from "./support/transports.js";

// Whichever connection comes up carries both ways.
runLinkHealContract("ws", {
  listen: (id, reconnect) => WsTransport.listen({ id, clusterId: CLUSTER, listen: { host: "127.0.0.1", port: 0 }, ...(reconnect && { reconnect }) }),
  checkCut: (a, b) => expect((a as WsTransport).stats().connections + (b as WsTransport).stats().connections, "the cut closed the connection on both sides").toBe(0),
  snapshot: (node1) => (node1 as WsTransport).stats().dials,
  // Node 2's connection ends node 1's wait: node 1 does not dial again itself, and uses the connection node 2 dialed.
  checkWokenBy: (node1, dialsBefore) => {
    const t = node1 as WsTransport;
    expect(t.stats().dials, "node 1 did not dial again itself").toBe(dialsBefore);
    expect(t.connections()).toMatchObject([{ peer: 2, dialedBy: 2 }]);
  },
});
