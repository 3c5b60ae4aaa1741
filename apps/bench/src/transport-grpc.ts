// @raft/transport-grpc between two processes on 127.0.0.1: this one (node 1)
// and a child serving node 2 (transport-grpc-peer.ts).
//  1. Snapshot stream: node 1 pulls a BENCH_SNAPSHOT_MIB MiB file (default
//     1024) in BENCH_CHUNK_KIB chunks (default 1024) with fetchSnapshot;
//     prints MB/s and the peak RSS of both processes over their idle RSS.
//  2. Engine messages: Appends of 64 × 256 B entries, then Heartbeats, each
//     answered by the child, with a window of messages in flight; prints
//     messages/s one way for BENCH_SECONDS s each (default 3).
import { fork } from "node:child_process";
import { once } from "node:events";
import type { Entry, Message } from "@raft/core/contracts";
import { GrpcTransport } from "@raft/transport-grpc";
import type { FromPeer, ToPeer } from "./transport-grpc-peer.js";
import { measureSnapshotFetch, MiB, mib } from "./stream-measure.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

const size = Number(process.env.BENCH_SNAPSHOT_MIB ?? 1024) * MiB;
const chunkSize = Number(process.env.BENCH_CHUNK_KIB ?? 1024) * 1024;
const seconds = Number(process.env.BENCH_SECONDS ?? 3);

const child = fork(new URL("./transport-grpc-peer.js", import.meta.url), { env: process.env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
const toChild = (m: ToPeer) => child.send(m);
async function fromChild<K extends FromPeer["kind"]>(kind: K): Promise<Extract<FromPeer, { kind: K }>> {
  for (;;) {
    const [m] = (await once(child, "message")) as [FromPeer];
    if (m.kind === kind) return m as Extract<FromPeer, { kind: K }>;
  }
}

let onResponse: (m: Message) => void = () => {};
const peerAddress = (await fromChild("ready")).address;
const transport = await GrpcTransport.listen({ id: 1, clusterId: "bench", listen: { host: "127.0.0.1", port: 0 }, peers: { 2: peerAddress } });
await transport.start({
  onMessage: (m) => onResponse(m),
  onSnapshotRequest: () => {
    throw new Error("node 1 serves no snapshots");
  },
});
toChild({ kind: "peer", address: transport.address });

async function snapshotStream(): Promise<string> {
  const m = await measureSnapshotFetch(transport, size, chunkSize, () => toChild({ kind: "reset-peak" }));
  toChild({ kind: "report" });
  const server = await fromChild("report");
  return [m.summary, `  peak RSS: reader ${mib(m.peakRss)} (+${mib(m.peakRss - m.idleRss)} over idle), server ${mib(server.peakRss)} (+${mib(server.peakRss - server.idleRss)} over idle)`].join("\n");
}

/** Sends `make(i)` messages with at most `window` unanswered; counts answers for `seconds`. */
async function messageRate(label: string, window: number, make: (i: number) => Message, payloadBytes: number): Promise<string> {
  let sent = 0;
  let answered = 0;
  let counting = false;
  let counted = 0;
  let done = false;
  const finished = new Promise<void>((resolve) => {
    onResponse = () => {
      answered++;
      if (counting) counted++;
      if (done) {
        if (answered === sent) resolve();
        return;
      }
      top();
    };
  });
  function top(): void {
    const batch: Message[] = [];
    while (sent - answered < window) batch.push(make(sent++));
    if (batch.length > 0) transport.send(batch);
  }
  top();
  await new Promise((r) => setTimeout(r, 500));
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const elapsed = (performance.now() - t0) / 1000;
  done = true;
  await Promise.race([finished, new Promise((r) => setTimeout(r, 5000))]);
  const rate = counted / elapsed;
  const payload = payloadBytes > 0 ? `, ${((rate * payloadBytes) / 1e6).toFixed(0)} MB/s of entry data` : "";
  return `${label}: ${Math.round(rate).toLocaleString("en-US")} messages/s one way (each answered; ${window} in flight${payload})`;
}

const data = new Uint8Array(256).fill(7);
const append = (i: number): Message => {
  const prevIndex = i * 64;
  const entries: Entry[] = Array.from({ length: 64 }, (_, k) => ({ index: Index.of(prevIndex + 1 + k), term: Term.of(1), kind: "normal", data }));
  return { type: "Append", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(1), prevIndex: Index.of(prevIndex), prevTerm: Term.of(1), commit: Index.of(prevIndex), entries };
};
const heartbeat = (i: number): Message => ({ type: "Heartbeat", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(1), commit: Index.zero, round: i });

try {
  console.log(`@raft/transport-grpc between two processes on 127.0.0.1 (plaintext)`);
  console.log(await snapshotStream());
  console.log(await messageRate("Append (64 × 256 B entries)", 256, append, 64 * 256));
  console.log(await messageRate("Heartbeat", 1024, heartbeat, 0));
  const s = transport.stats();
  toChild({ kind: "report" });
  const server = await fromChild("report");
  console.log(`  dropped (queue full) ${s.droppedQueueFull}, rejected by the server ${server.rejected}, stream failures ${s.streamFailures}`);
} finally {
  await transport.close();
  toChild({ kind: "exit" });
  await once(child, "exit");
}
