// The serving side of transport-ws.ts, in its own process: node 2 on
// 127.0.0.1. It serves one snapshot file of BENCH_SNAPSHOT_MIB MiB by
// yielding the same BENCH_CHUNK_KIB buffer over and over (no disk, no
// allocation per chunk), and acknowledges engine messages with a
// HeartbeatResp carrying how many it has received so far.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Message } from "@raft/core/contracts";
import { WsTransport } from "@raft/transport-ws";
import { NodeId, Term } from "@raft/core/contracts";

export type ToPeer = { kind: "reset-peak" } | { kind: "report" } | { kind: "exit" };
export type FromPeer = { kind: "ready"; address: string } | { kind: "report"; idleRss: number; peakRss: number; maxRss: number };

const MiB = 1 << 20;
const size = Number(process.env.BENCH_SNAPSHOT_MIB ?? 1024) * MiB;
const chunkSize = Number(process.env.BENCH_CHUNK_KIB ?? 1024) * 1024;
const send = (m: FromPeer) => process.send?.(m);

/** BENCH_TLS_DIR holds cert.pem, key.pem and ca.pem: both sides then speak wss with mTLS. */
function benchTls() {
  const dir = process.env.BENCH_TLS_DIR;
  if (dir === undefined) return undefined;
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return { cert: read("cert.pem"), key: read("key.pem"), ca: read("ca.pem"), requireClientCert: true };
}

let received = 0;
let ackScheduled = false;
const transport = await WsTransport.listen({ id: 2, clusterId: "bench", listen: { host: "127.0.0.1", port: 0 }, tls: benchTls() });
await transport.start({
  onMessage: (m: Message) => {
    received++;
    if (ackScheduled) return;
    ackScheduled = true;
    // One acknowledgement per turn of the event loop, for everything received in it.
    setImmediate(() => {
      ackScheduled = false;
      transport.send([{ type: "HeartbeatResp", from: NodeId.of(2), to: m.from, term: Term.of(1), round: received }]);
    });
  },
  onSnapshotRequest: async function* (_from, request) {
    const chunk = new Uint8Array(Math.min(chunkSize, request.chunkSize)).fill(0xab);
    for (let offset = request.offset; offset < size; offset += chunk.length) yield offset + chunk.length <= size ? chunk : chunk.subarray(0, size - offset);
  },
});

let idle = process.memoryUsage.rss();
let peak = idle;
setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5).unref();
process.on("message", async (m: ToPeer) => {
  if (m.kind === "reset-peak") {
    global.gc?.();
    idle = process.memoryUsage.rss();
    peak = idle;
  } else if (m.kind === "report") {
    peak = Math.max(peak, process.memoryUsage.rss());
    send({ kind: "report", idleRss: idle, peakRss: peak, maxRss: process.resourceUsage().maxRSS * 1024 });
  } else {
    await transport.close();
    process.exit(0);
  }
});
send({ kind: "ready", address: transport.address });
