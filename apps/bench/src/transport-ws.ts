// @raft/transport-ws between two processes on 127.0.0.1: this one (node 1)
// and a child serving node 2 (transport-ws-peer.ts).
//  1. Snapshot stream: node 1 pulls a BENCH_SNAPSHOT_MIB MiB file (default
//     1024) in BENCH_CHUNK_KIB chunks (default 1024) with fetchSnapshot and
//     the default credit window (8 chunks); prints MB/s and the peak RSS of
//     both processes over their idle RSS.
//  2. Engine messages: Appends of 64 × 256 B entries, then Heartbeats, with
//     up to BENCH_WINDOW messages (default 2048) unacknowledged; prints
//     messages/s one way for BENCH_SECONDS s each (default 3).
// BENCH_TLS_DIR (cert.pem, key.pem, ca.pem) runs both over wss with mTLS; the one
// certificate both processes use must name both nodes (SAN URIs raft://bench/1 and raft://bench/2).
import { fork } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Entry, Message } from "@raft/core/contracts";
import { WsTransport } from "@raft/transport-ws";
import type { FromPeer, ToPeer } from "./transport-ws-peer.js";
import { measureSnapshotFetch, MiB, mib } from "./stream-measure.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

const size = Number(process.env.BENCH_SNAPSHOT_MIB ?? 1024) * MiB;
const chunkSize = Number(process.env.BENCH_CHUNK_KIB ?? 1024) * 1024;
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const window = Number(process.env.BENCH_WINDOW ?? 2048);

const child = fork(new URL("./transport-ws-peer.js", import.meta.url), { env: process.env, execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
const toChild = (m: ToPeer) => child.send(m);
async function fromChild<K extends FromPeer["kind"]>(kind: K): Promise<Extract<FromPeer, { kind: K }>> {
  for (;;) {
    const [m] = (await once(child, "message")) as [FromPeer];
    if (m.kind === kind) return m as Extract<FromPeer, { kind: K }>;
  }
}

/** The same certificates as the child reads (see transport-ws-peer.ts). */
function benchTls() {
  const dir = process.env.BENCH_TLS_DIR;
  if (dir === undefined) return undefined;
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return { cert: read("cert.pem"), key: read("key.pem"), ca: read("ca.pem"), requireClientCert: true };
}

let acked = 0;
let onAck: () => void = () => {};
const peerAddress = (await fromChild("ready")).address;
const tls = benchTls();
const transport = await WsTransport.listen({ id: 1, clusterId: "bench", listen: { host: "127.0.0.1", port: 0 }, peers: { 2: peerAddress }, tls });
await transport.start({
  onMessage: (m) => {
    if (m.type === "HeartbeatResp") acked = Math.max(acked, m.round);
    onAck();
  },
  onSnapshotRequest: () => {
    throw new Error("node 1 serves no snapshots");
  },
});

async function snapshotStream(): Promise<string> {
  const m = await measureSnapshotFetch(transport, size, chunkSize, () => toChild({ kind: "reset-peak" }));
  toChild({ kind: "report" });
  const server = await fromChild("report");
  return [
    m.summary,
    `  reader (node 1) RSS: idle ${mib(m.idleRss)}, peak ${mib(m.peakRss)} (+${mib(m.peakRss - m.idleRss)})`,
    `  server (node 2) RSS: idle ${mib(server.idleRss)}, peak ${mib(server.peakRss)} (+${mib(server.peakRss - server.idleRss)}), process max ${mib(server.maxRss)}`,
  ].join("\n");
}

/** Sends `make(i)` messages as fast as the peer acknowledges them, `window` at most in flight, for `seconds` after a warm-up. */
async function messageRate(label: string, make: (i: number) => Message, bytesEach: number): Promise<string> {
  const base = acked;
  let sent = 0;
  const until = async (cond: () => boolean) => {
    while (!cond()) await new Promise<void>((r) => (onAck = r));
  };
  const warmupEnd = performance.now() + 500;
  let t0 = 0;
  let counted0 = 0;
  let end = Infinity;
  for (;;) {
    const now = performance.now();
    if (t0 === 0 && now >= warmupEnd) {
      t0 = now;
      counted0 = acked - base;
      end = t0 + seconds * 1000;
    }
    if (now >= end) break;
    await until(() => sent - (acked - base) < window);
    const batch = Math.min(256, window - (sent - (acked - base)));
    const messages = new Array<Message>(batch);
    for (let i = 0; i < batch; i++) messages[i] = make(sent + i);
    transport.send(messages);
    sent += batch;
  }
  const elapsed = (performance.now() - t0) / 1000;
  const count = acked - base - counted0;
  await until(() => acked - base === sent);
  const dropped = transport.stats().messagesDropped;
  const rate = count / elapsed;
  const mbps = bytesEach > 0 ? `, ${((rate * bytesEach) / 1e6).toFixed(0)} MB/s of entries` : "";
  return `${label}: ${Math.round(rate).toLocaleString("en-US")} messages/s${mbps} (${seconds} s, ${window} in flight, ${dropped} dropped)`;
}

const entries: Entry[] = Array.from({ length: 64 }, (_, i) => ({ index: Index.of(i + 1), term: Term.of(1), kind: "normal", data: new Uint8Array(256).fill(i) }));
const append = (i: number): Message => ({
  type: "Append",
  from: NodeId.of(1),
  to: NodeId.of(2),
  term: Term.of(1),
  prevIndex: Index.of(i * 64),
  prevTerm: Term.of(1),
  commit: Index.of(i * 64),
  entries: entries.map((e, k) => ({ ...e, index: Index.of(i * 64 + k + 1) })),
});
const heartbeat = (i: number): Message => ({ type: "Heartbeat", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(1), commit: Index.zero, round: i });

console.log(`@raft/transport-ws between two processes on 127.0.0.1 (${tls === undefined ? "ws" : "wss + mTLS"})`);
try {
  console.log(await snapshotStream());
  console.log(await messageRate("Append (64 × 256 B entries)", append, 64 * 256));
  console.log(await messageRate("Heartbeat", heartbeat, 0));
} finally {
  toChild({ kind: "exit" });
  await transport.close();
}
