import { connect as http2Connect, constants as h2 } from "node:http2";
import { connect as netConnect } from "node:net";
import { Prng, TestCluster } from "@raft/core/testing";
import { encodeMessages, Index, NodeId, Term, type Message } from "@raft/core/contracts";
import { expect, it, vi } from "vitest";
import { GrpcTransport } from "../src/index.js";
import { encodeFrame, encodeSnapshotRequest } from "../src/service-definition.js";
import { metadata, RawClient } from "./raw-client.js";
import { RecordingLogger } from "./support.js";

// Real sockets and processes: on a busy 2-core machine this takes minutes, not seconds.
vi.setConfig({ testTimeout: 240_000 });

const MAX_FRAME = 256 * 1024;
const prng = new Prng(20_240_601);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => prng.int(0, 256));

/** Runs `tasks` with at most `width` at a time. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return out;
}

/**
 * A frame an authenticated peer (`from`) might send to `victim` that must be
 * refused: junk at the protobuf layer, junk or truncated engine encodings,
 * an unknown wire version, or well-formed messages from someone else or for
 * someone else.
 */
function badFrame(from: NodeId, victim: NodeId, other: NodeId): Buffer {
  const valid = (m: Partial<Message>): Message => ({ type: "Heartbeat", from, to: victim, term: 1, commit: 0, round: 1, ...m }) as Message;
  const body = encodeMessages([valid({}), valid({ round: 2 })]);
  switch (prng.int(0, 8)) {
    case 0: // random bytes as the protobuf Frame
      return Buffer.from(randomBytes(prng.int(1, 200)));
    case 1: // a valid Frame around random bytes
      return encodeFrame(randomBytes(prng.int(1, 200)));
    case 2: // a truncated engine encoding
      return encodeFrame(body.subarray(0, prng.int(1, body.length - 1)));
    case 3: // an engine encoding with trailing junk
      return encodeFrame(Uint8Array.from([...body, ...randomBytes(prng.int(1, 10))]));
    case 4: // an unknown wire version
      return encodeFrame(Uint8Array.from([prng.int(2, 256), ...body.subarray(1)]));
    case 5: // well-formed, but from another node than the caller
      return encodeFrame(encodeMessages([valid({}), valid({ from: other })]));
    case 6: // well-formed, but for another node
      return encodeFrame(encodeMessages([valid({ to: other })]));
    default: // an Append whose entries contradict its terms (decoded and refused)
      return encodeFrame(
        encodeMessages([
          {
            type: "Append",
            from,
            to: victim,
            term: Term.of(2),
            prevIndex: Index.of(5),
            prevTerm: Term.of(2),
            commit: Index.zero,
            entries: [{ index: Index.of(6), term: Term.of(1), kind: "normal", data: randomBytes(8) }],
          },
        ]),
      );
  }
}

/** Raw TCP junk, then a close: not even HTTP/2. */
function tcpJunk(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect(port, "127.0.0.1", () => socket.end(Buffer.from(randomBytes(prng.int(1, 400)))));
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
    socket.resume();
  });
}

/** HTTP/2 requests that are not proper gRPC calls: wrong paths, content types, length prefixes that lie. */
async function http2Junk(address: string, from: NodeId, victim: NodeId, count: number): Promise<void> {
  const session = http2Connect(`http://${address}`);
  session.on("error", () => {});
  try {
    await pool(
      Array.from({ length: count }, (_, i) => () => {
        const kind = i % 4;
        const path = kind === 0 ? `/${Buffer.from(randomBytes(6)).toString("hex")}` : "/raft.transport.v1.RaftTransport/Messages";
        const headers = {
          [h2.HTTP2_HEADER_METHOD]: "POST",
          [h2.HTTP2_HEADER_PATH]: path,
          [h2.HTTP2_HEADER_CONTENT_TYPE]: kind === 1 ? "text/plain" : "application/grpc",
          te: "trailers",
          // Metadata that passes the handshake: what follows is judged on its own.
          "raft-cluster-id": "bank",
          "raft-from": String(from),
          "raft-to": String(victim),
        };
        // kind 2: a gRPC length prefix that promises 4 GiB; kind 3: one that promises more than is sent.
        const body = kind === 2 ? Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]) : kind === 3 ? Buffer.from([0, 0, 0, 0, 100, 1, 2]) : Buffer.from(randomBytes(20));
        return new Promise<void>((resolve) => {
          const req = session.request(headers);
          req.on("error", () => resolve());
          req.on("close", () => resolve());
          req.resume();
          req.end(body);
        });
      }),
      20,
    );
  } finally {
    session.close();
  }
}

it("10,000 junk, truncated, oversized and misaddressed frames: the node stays up, keeps committing, and logs each reason rate-limited", async () => {
  const loggers = new Map<NodeId, RecordingLogger>();
  const cluster = TestCluster.of([1, 2, 3], {
    node: { electionTicks: 10, maxMsgBytes: 32 * 1024 },
    transport: (id) => {
      const logger = new RecordingLogger();
      loggers.set(NodeId.of(id), logger);
      return GrpcTransport.listen({ id, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, logger, maxFrameBytes: MAX_FRAME, rejectionLogIntervalMs: 600_000 });
    },
  });
  const text = (s: string) => new TextEncoder().encode(s);
  const transport = (id: NodeId) => cluster.transports.get(id) as GrpcTransport;
  const clients: RawClient[] = [];
  try {
    await cluster.startAll();
    await cluster.propose(text("before"));
    const victim = (await cluster.waitForLeader()).id;
    const [from, other] = cluster.voters.filter((id) => id !== victim) as [NodeId, NodeId];
    const address = transport(victim).address;
    const port = Number(address.split(":")[1]);
    const good = metadata({ "raft-from": String(from), "raft-to": String(victim) });
    for (let i = 0; i < 8; i++) clients.push(new RawClient(address));
    let turn = 0;
    const client = () => clients[turn++ % clients.length] as RawClient;

    // 6,000 bad frames on 20 authenticated streams of 300.
    const streams = await pool(
      Array.from(
        { length: 20 },
        () => () =>
          client().messages(
            good,
            Array.from({ length: 300 }, () => badFrame(from, victim, other)),
          ),
      ),
      5,
    );
    for (const s of streams) expect(s.error).toBeNull();
    // 100 frames over the size limit; each one ends its call.
    const oversized = await pool(
      Array.from({ length: 100 }, () => () => client().messages(good, [encodeFrame(randomBytes(MAX_FRAME + prng.int(1, 64 * 1024)))])),
      10,
    );
    for (const o of oversized) expect(o.error?.details).toMatch(/larger than max/);
    // 1,000 calls that fail the handshake, each carrying a (valid) frame.
    const handshakes: Record<string, string | undefined>[] = [
      { "raft-cluster-id": "other" },
      { "raft-from": "0" },
      { "raft-from": String(victim) },
      { "raft-from": "x1" },
      { "raft-from": undefined },
      { "raft-to": String(other) },
      { "raft-cluster-id": undefined },
    ];
    const frame = encodeFrame(encodeMessages([{ type: "Heartbeat", from, to: victim, term: Term.of(1), commit: Index.zero, round: 1 }]));
    const refused = await pool(
      Array.from({ length: 1000 }, (_, i) => () => client().messages(metadata({ "raft-from": String(from), "raft-to": String(victim), ...handshakes[i % handshakes.length] }), [frame])),
      20,
    );
    for (const r of refused) expect(r.error).not.toBeNull();
    // 400 snapshot requests that are junk or ask for what no valid request can.
    const requests = [
      () => Buffer.from(randomBytes(prng.int(1, 60))),
      () => encodeSnapshotRequest({ id: "../../etc/passwd", file: "state", offset: 0, chunkSize: 1024 }),
      () => encodeSnapshotRequest({ id: "x", file: "a/b", offset: 0, chunkSize: 0 }),
      () => encodeSnapshotRequest({ id: "x", file: "state", offset: 0, chunkSize: 0xffff_fff0 }),
    ];
    const fetches = await pool(
      Array.from({ length: 400 }, (_, i) => () => client().fetchSnapshot(good, (requests[i % requests.length] as () => Buffer)())),
      20,
    );
    for (const f of fetches) expect(f.error).toBeDefined();
    // Below gRPC: 500 raw TCP connections of junk, and 2,000 HTTP/2 requests that are not proper gRPC.
    await pool(
      Array.from({ length: 500 }, () => () => tcpJunk(port)),
      20,
    );
    await http2Junk(address, from, victim, 2000);

    // The node is up and the cluster still commits.
    for (let i = 0; i < 20; i++) await cluster.propose(text(`after-${i}`));
    for (const id of cluster.voters) expect(cluster.nodes.get(id)?.status().stopped).toBe(false);
    expect(cluster.errors).toEqual([]);

    // Every refusal was counted under its reason...
    const stats = transport(victim).stats();
    const r = stats?.rejections ?? {};
    const frameReasons = ["malformed frame", "invalid messages", "wrong sender", "wrong recipient"];
    expect(frameReasons.reduce((n, reason) => n + (r[reason] ?? 0), 0)).toBe(6000);
    for (const reason of frameReasons) expect(r[reason]).toBeGreaterThan(0);
    // (the 500 HTTP/2 requests whose prefix promises 4 GiB are oversized frames too)
    expect(r["oversized frame"]).toBe(100 + 500);
    expect(stats?.rejectedFrames).toBe(6000 + 600);
    expect(stats?.rejectedCalls).toBe(1000);
    expect(r["wrong cluster id"]).toBeGreaterThan(0);
    expect(r["bad caller id"]).toBeGreaterThan(0);
    expect(r["wrong target node"]).toBeGreaterThan(0);
    expect(r["invalid snapshot request"]).toBe(400);
    // ...and logged once per reason (the interval here is 10 minutes), with the count so far.
    const logger = loggers.get(victim);
    for (const reason of Object.keys(r)) {
      const lines = logger?.withReason(reason) ?? [];
      expect(lines, reason).toHaveLength(1);
      expect(lines[0]?.level).toBe("warn");
    }
    const logged = logger?.lines.filter((l) => l.message.includes("rejected")).length ?? 0;
    expect(logged).toBeLessThan(20);
    expect(stats?.messagesReceived).toBeGreaterThan(0);
  } finally {
    for (const c of clients) c.close();
    await cluster.stopAll();
  }
});
