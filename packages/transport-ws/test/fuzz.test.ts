import { encodeMessages, Index, NodeId, nodeToken, snapshotId, Term, type Message } from "@raft/core/contracts";
import { Prng, TestCluster } from "@raft/core/testing";
import { describe, expect, it, vi } from "vitest";
import type { WebSocket } from "ws";
import { WsTransport } from "../src/index.js";
import { authenticated, closed, envelope, messagesFrame, sendAndFlush, rawTcp, requestFrame, upgrade, varint } from "./support/attacker.js";
import { observed } from "./support/observed.js";
import { baseOptions, captureLogger, CLUSTER, waitFor } from "./support/transports.js";

// Real sockets and processes: on a busy 2-core machine this takes minutes, not seconds.
vi.setConfig({ testTimeout: 240_000 });

const TOKEN = "fuzz-secret";
const ATTACKER = NodeId.of(9);
const MAX_FRAME = 64 << 10;
const SEED = 20_240_601;

/**
 * 10,000 hostile inputs against the leader of a live 3-node cluster: 500
 * connections that never authenticate (raw bytes, plain HTTP, bad or no token,
 * wrong cluster), then 9,500 frames over connections that did authenticate
 * (holding the token, as node 9): random, truncated, oversized, and
 * well-formed but invalid. The node stays up, keeps committing, rejects each
 * one (counted exactly), lets none reach the engine, and logs at a bounded rate.
 */
describe("fuzz", () => {
  it("a live node rejects 10,000 hostile inputs, keeps committing, and logs at a bounded rate", async () => {
    const logs = new Map<NodeId, ReturnType<typeof captureLogger>>();
    const fromAttacker: unknown[] = [];
    const transports = new Map<NodeId, WsTransport>();
    const cluster = TestCluster.of([1, 2, 3], {
      node: { electionTicks: 10 },
      transport: async (id) => {
        const log = captureLogger();
        logs.set(NodeId.of(id), log);
        const t = await WsTransport.listen(baseOptions(NodeId.of(id), { auth: { token: TOKEN }, maxFrameBytes: MAX_FRAME, logger: log.logger }));
        transports.set(NodeId.of(id), t);
        return observed(NodeId.of(id), t, (_to, from, what) => {
          if (from === ATTACKER) fromAttacker.push(what);
        });
      },
    });
    const text = (s: string) => new TextEncoder().encode(s);
    try {
      await cluster.startAll();
      const leader = await cluster.waitForLeader();
      const target = transports.get(leader.id) as WsTransport;
      const address = target.address;
      const before = await cluster.propose(text("before-fuzz"));
      await cluster.waitApplied(before);

      // Proposals keep flowing during the attack.
      let stopWriting = false;
      let committedDuring = 0;
      const writer = (async () => {
        while (!stopWriting) {
          await cluster.propose(text(`during-${committedDuring}`));
          committedDuring++;
        }
      })().then(
        () => undefined,
        (e: unknown) => e,
      );

      const rng = new Prng(SEED);
      const started = performance.now();
      const refusedConnections = await unauthenticatedPhase(address, rng, leader.id);
      const junkFrames = await authenticatedPhase(address, rng, leader.id);
      expect(refusedConnections + junkFrames).toBe(10_000);

      await waitFor(
        () => target.stats().rejectedFrames === junkFrames && target.stats().rejectedConnections === refusedConnections,
        `every input to be rejected (so far ${JSON.stringify(target.stats().rejectedByReason)})`,
        30_000,
      );
      stopWriting = true;
      expect(await writer).toBeUndefined();
      const seconds = (performance.now() - started) / 1000;

      // Still up, still committing, on every node.
      const after: number[] = [];
      for (let i = 0; i < 10; i++) after.push(await cluster.propose(text(`after-${i}`)));
      await cluster.waitApplied(after.at(-1) as (typeof after)[number]);
      for (const n of cluster.nodes.values()) expect(n.status().stopped).toBe(false);
      expect(committedDuring).toBeGreaterThan(0);
      const values = cluster.machines.get(1)?.values;
      for (const id of [2, 3]) expect(cluster.machines.get(id)?.values).toEqual(values);

      // Nothing from the attacker reached an engine; only the target saw junk.
      expect(fromAttacker).toEqual([]);
      const stats = target.stats();
      expect(stats.messagesReceived).toBeGreaterThan(0);
      for (const id of [1, 2, 3].filter((i) => i !== leader.id)) expect(transports.get(NodeId.of(id))?.stats().rejectedFrames).toBe(0);
      for (const reason of [
        "envelope-version",
        "frame-kind",
        "malformed-frame",
        "invalid-message",
        "wrong-sender",
        "wrong-recipient",
        "oversized-frame",
        "text-frame",
        "bad-snapshot-request",
        "duplicate-stream",
        "unknown-stream",
        "bad-http",
        "not-websocket",
        "missing-token",
        "wrong-token",
        "wrong-cluster",
      ]) {
        expect(stats.rejectedByReason[reason as never], reason).toBeGreaterThan(0);
      }

      // Every reason was logged, but at most once per reason per second, each line counting what it suppressed.
      const lines = (logs.get(leader.id)?.lines ?? []).filter((l) => l.level === "warn" && typeof l.fields.reason === "string" && !String(l.fields.reason).startsWith("dial:"));
      const reasons = Object.keys(stats.rejectedByReason);
      for (const reason of reasons)
        expect(
          lines.some((l) => l.fields.reason === reason),
          `a log line for ${reason}`,
        ).toBe(true);
      expect(lines.length).toBeLessThanOrEqual(reasons.length * (Math.ceil(seconds) + 1));
      expect(lines.length).toBeLessThan((junkFrames + refusedConnections) / 20);
      // A summary line (at the end of an interval) stands for no event of its own, only for those it suppressed.
      const logged = lines.reduce((n, l) => n + (l.fields.summary === true ? 0 : 1) + (l.fields.suppressed as number), 0);
      expect(logged).toBeLessThanOrEqual(junkFrames + refusedConnections);
      expect(JSON.stringify(lines)).not.toContain(TOKEN);
    } finally {
      await cluster.stopAll();
    }
  });
});

/** 500 connections that never get past the upgrade. Returns how many. */
async function unauthenticatedPhase(address: string, rng: Prng, target: NodeId): Promise<number> {
  const headers = { "x-raft-cluster": CLUSTER, "x-raft-node": String(ATTACKER), "x-raft-target": String(target) };
  let n = 0;
  for (let i = 0; i < 150; i++, n++) {
    // Not HTTP: the first byte is a control character, so the parser fails at once.
    const bytes = randomBytes(rng, rng.int(1, 300));
    bytes[0] = rng.int(0, 0x20);
    await rawTcp(address, bytes);
  }
  for (let i = 0; i < 50; i++, n++) await rawTcp(address, Buffer.from(`GET /${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
  for (let i = 0; i < 100; i++, n++) expect(await upgrade(address, headers)).toBe(401);
  for (let i = 0; i < 100; i++, n++) expect(await upgrade(address, { ...headers, authorization: `Bearer ${TOKEN}${i}` })).toBe(401);
  // The attacker's own token (derived from the secret for node 9) gets past authentication, not past the cluster check.
  const token = nodeToken(TOKEN, CLUSTER, ATTACKER);
  for (let i = 0; i < 100; i++, n++) expect(await upgrade(address, { ...headers, authorization: `Bearer ${token}`, "x-raft-cluster": `other-${i}` })).toBe(403);
  return n;
}

/** 9,500 frames over authenticated connections. Returns how many. */
async function authenticatedPhase(address: string, rng: Prng, target: NodeId): Promise<number> {
  const headers = { "x-raft-cluster": CLUSTER, "x-raft-node": String(ATTACKER), "x-raft-target": String(target), authorization: `Bearer ${nodeToken(TOKEN, CLUSTER, ATTACKER)}` };
  let ws: WebSocket = await authenticated(address, headers);
  let sent = 0;
  const send = (frame: Buffer | string) => {
    ws.send(frame);
    sent++;
  };
  const valid = validFrames(target);

  // Random bytes, never starting with a valid envelope version.
  for (let i = 0; i < 3000; i++) {
    const bytes = randomBytes(rng, rng.int(0, 600));
    if (bytes.length > 0 && bytes[0] === 1) bytes[0] = rng.int(2, 256);
    send(bytes);
  }
  // Random bytes behind a valid version and kind.
  for (let i = 0; i < 1000; i++) send(Buffer.concat([Buffer.from([1, rng.int(1, 8)]), randomBytes(rng, rng.int(0, 300))]));
  // Valid frames cut short.
  for (let i = 0; i < 2500; i++) {
    const frame = valid[rng.int(0, valid.length)] as Buffer;
    send(frame.subarray(0, rng.int(0, frame.length)));
  }
  // Well formed, but invalid in one way each.
  for (const frame of wellFormedButInvalid(target, 2880)) send(frame);
  // Text instead of binary.
  for (let i = 0; i < 99; i++) send(`not binary ${i}`);
  await sendAndFlush(ws, "not binary, and the last of its connection");
  sent++;

  // Oversized: ws closes the connection after each, so each comes on a fresh one.
  for (let i = 0; i < 20; i++) {
    ws.send(Buffer.alloc(MAX_FRAME + 1 + rng.int(0, 1000)));
    sent++;
    await closed(ws);
    ws = await authenticated(address, headers);
  }
  ws.terminate();
  return sent;
}

function randomBytes(rng: Prng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(0, 256);
  return b;
}

const heartbeat = (from: NodeId, to: NodeId): Message => ({ type: "Heartbeat", from, to, term: Term.of(1), commit: Index.zero, round: 1 });

/** Frames that would be valid from node 9 (cut short above, so none arrives whole). */
function validFrames(target: NodeId): Buffer[] {
  const append: Message = {
    type: "Append",
    from: ATTACKER,
    to: target,
    term: Term.of(3),
    prevIndex: Index.of(5),
    prevTerm: Term.of(2),
    commit: Index.of(4),
    entries: [
      { index: Index.of(6), term: Term.of(3), kind: "normal", data: new Uint8Array(40).fill(7) },
      { index: Index.of(7), term: Term.of(3), kind: "config", data: new Uint8Array(3) },
    ],
  };
  const vote: Message = { type: "Vote", from: ATTACKER, to: target, term: Term.of(99), lastIndex: Index.of(1), lastTerm: Term.of(1), transfer: false };
  return [messagesFrame([append]), messagesFrame([heartbeat(ATTACKER, target), vote]), requestFrame(1_000_000, 8, snapshotId(10, 2, "ab".repeat(32)), 1024)];
}

/** `count` frames with one defect each; requests take fresh stream ids, so only the deliberate one is a duplicate. */
function wellFormedButInvalid(target: NodeId, count: number): Buffer[] {
  const hb = [...encodeMessages([heartbeat(ATTACKER, target)])];
  const goodId = snapshotId(10, 2, "ab".repeat(32));
  let stream = 1;
  const frames: Buffer[] = [
    messagesFrame([heartbeat(NodeId.of(2), target)]), // spoofs a member: wrong-sender
    messagesFrame([heartbeat(ATTACKER, NodeId.of(target === 1 ? 2 : 1))]), // wrong-recipient
    messagesFrame([{ ...heartbeat(ATTACKER, target), from: 0 as NodeId }]), // node id 0, deliberately invalid
    envelope(1, [2, ...hb.slice(1)]), // wire version 2
    envelope(1, [1, 1, 99, ...hb.slice(3)]), // unknown message type
    envelope(1, [1, 200, ...hb.slice(2)]), // count lies
    envelope(1, [...hb, 0]), // trailing byte
    messagesFrame([
      {
        type: "Append",
        from: ATTACKER,
        to: target,
        term: Term.of(1),
        prevIndex: Index.zero,
        prevTerm: Term.zero,
        commit: Index.zero,
        entries: [{ index: Index.of(1), term: Term.of(5), kind: "normal", data: new Uint8Array(1) }],
      },
    ]), // entry term > message term
    envelope(1, []), // no body at all
    Buffer.from([2, 1, ...hb]), // envelope version 2
    Buffer.from([0]), // envelope version 0
    Buffer.from([]), // empty
    envelope(42, [1]), // unknown kind
    envelope(3, [0, 1]), // stream id 0
    envelope(3, [0x81, 0x00, 1]), // non-minimal varint
    envelope(3, [...varint(5_000_000), 1]), // credit for a stream never served
    envelope(4, varint(5_000_001)), // cancel of a stream never served
    envelope(5, [...varint(7_000_000), 1, 2, 3]), // chunk for a stream never requested
    envelope(6, varint(7_000_001)), // end of a stream never requested
    envelope(7, [...varint(7_000_002), 1, 65, 1, 65]), // error for a stream never requested
    envelope(6, [...varint(7_000_001), 0]), // trailing byte
  ];
  // Snapshot requests, each with a fresh stream id and one defect, and one that reuses a spent id.
  const requests = (): Buffer[] => [
    requestFrame(stream++, 8, "../../etc/passwd", 1024), // not a snapshot id
    requestFrame(stream++, 8, goodId, 1024, "../state"), // not a file name
    requestFrame(stream++, 0, goodId, 1024), // no credit
    requestFrame(stream++, 5000, goodId, 1024), // credit beyond the largest window
    requestFrame(stream++, 8, goodId, 0), // chunk size 0
    requestFrame(stream++, 8, goodId, (16 << 20) + 1), // chunk size beyond the limit
    requestFrame(1, 8, goodId, 1024), // stream 1 again: duplicate-stream
  ];
  const out: Buffer[] = [];
  while (out.length < count) out.push(...frames, ...requests());
  return out.slice(0, count);
}
