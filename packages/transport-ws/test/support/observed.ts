import type { Message, NodeId, Transport, TransportHandlers } from "@raft/core/contracts";
import type { WsTransport } from "../../src/index.js";

/**
 * `inner`, with `seen` told of every message and snapshot request that
 * reaches node `id`'s engine: what a test checks never came from an attacker.
 */
export function observed(id: NodeId, inner: WsTransport, seen: (to: NodeId, from: NodeId, what: Message | "snapshot-request") => void): Transport & { readonly address: string } {
  return {
    address: inner.address,
    start: (h: TransportHandlers) =>
      inner.start({
        onMessage: (m) => {
          seen(id, m.from, m);
          h.onMessage(m);
        },
        onSnapshotRequest: (from, request, signal) => {
          seen(id, from, "snapshot-request");
          return h.onSnapshotRequest(from, request, signal);
        },
      }),
    send: (messages) => inner.send(messages),
    fetchSnapshot: (peer, request, signal) => inner.fetchSnapshot(peer, request, signal),
    updatePeers: (addresses) => inner.updatePeers(addresses),
    close: () => inner.close(),
  };
}
