import { runLinkHealContract } from "@raft/core/conformance";
import { expect } from "vitest";
import { GrpcTransport } from "../src/index.js";

// Each direction is its own call, so each node reaches the other through its own proxy.
runLinkHealContract("grpc", {
  listen: (id, reconnect) => GrpcTransport.listen({ id, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, ...(reconnect && { reconnect }) }),
  // Node 2's call reaching node 1 makes node 1 redial at once: its only failure is the cut itself.
  checkWokenBy: (node1) => expect((node1 as GrpcTransport).stats().streamFailures, "node 1 made no attempt of its own after the cut").toBe(1),
});
