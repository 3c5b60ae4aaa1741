// The serving side of transport-grpc.ts, in its own process: node 2 of a
// two-node GrpcTransport pair. It serves one snapshot file of
// BENCH_SNAPSHOT_MIB MiB from a single reused buffer, answers each Append
// with an AppendResp and each Heartbeat with a HeartbeatResp, and reports
// its peak RSS over IPC.
import type { Message } from "@raft/core/contracts";
import { GrpcTransport } from "@raft/transport-grpc";
import { Index, NodeId, Term } from "@raft/core/contracts";

export type ToPeer = { kind: "peer"; address: string } | { kind: "reset-peak" } | { kind: "report" } | { kind: "exit" };
export type FromPeer = { kind: "ready"; address: string } | { kind: "report"; peakRss: number; idleRss: number; rejected: number; served: number };

const MiB = 1 << 20;
const size = Number(process.env.BENCH_SNAPSHOT_MIB ?? 1024) * MiB;
const send = (m: FromPeer) => process.send?.(m);

const transport = await GrpcTransport.listen({ id: 2, clusterId: "bench", listen: { host: "127.0.0.1", port: 0 } });
let served = 0;
await transport.start({
  onMessage(m: Message) {
    if (m.type === "Append") {
      transport.send([
        { type: "AppendResp", from: NodeId.of(2), to: NodeId.of(1), term: m.term, reject: false, index: Index.of(m.prevIndex + m.entries.length), hintIndex: Index.zero, hintTerm: Term.zero },
      ]);
    } else if (m.type === "Heartbeat") {
      transport.send([{ type: "HeartbeatResp", from: NodeId.of(2), to: NodeId.of(1), term: m.term, round: m.round }]);
    }
  },
  async *onSnapshotRequest(_from, request, signal) {
    // One buffer for the whole file: the transport copies each chunk before asking for the next.
    const buffer = new Uint8Array(request.chunkSize).fill(0x5a);
    for (let offset = request.offset; offset < size && !signal.aborted; offset += request.chunkSize) {
      const n = Math.min(request.chunkSize, size - offset);
      served += n;
      yield n === buffer.length ? buffer : buffer.subarray(0, n);
    }
  },
});

const idleRss = process.memoryUsage.rss();
let peakRss = idleRss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10);

// The parent gone (killed, or its output closed): nothing left to serve.
process.on("disconnect", () => process.exit(0));
process.on("message", (m: ToPeer) => {
  switch (m.kind) {
    case "peer":
      transport.updatePeers(new Map([[1, m.address]]));
      return;
    case "reset-peak":
      peakRss = process.memoryUsage.rss();
      return;
    case "report":
      send({ kind: "report", peakRss: Math.max(peakRss, process.memoryUsage.rss()), idleRss, rejected: transport.stats().rejectedFrames + transport.stats().rejectedCalls, served });
      return;
    case "exit":
      clearInterval(sampler);
      void transport.close().then(() => process.exit(0));
      return;
  }
});
send({ kind: "ready", address: transport.address });
