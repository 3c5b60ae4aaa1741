import type { Message, NodeId } from "@raft/core/contracts";
import { TcpProxy } from "@raft/core/testing";
import { afterEach, expect, it } from "vitest";
import { GrpcTransport, type GrpcTransportOptions } from "../src/index.js";
import { closeAll, waitFor } from "./support.js";

const heartbeat = (from: NodeId, to: NodeId, round: number): Message => ({ type: "Heartbeat", from, to, term: 1, commit: 0, round });
const noSnapshots = () => {
  throw new Error("no snapshots");
};

/** The promise: after a heal, messages flow again within this. */
const REJOIN_MS = 1000;

const open: { close(): Promise<void> }[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  await closeAll(open.splice(0));
});

/**
 * Nodes 1 and 2, each reaching the other through a proxy in front of it
 * (each direction is its own call, so each needs its own), both sending a
 * heartbeat every 20 ms as a leader and a follower's answers would. Records
 * when messages arrive.
 */
async function linkedPair(extra: { a?: Partial<GrpcTransportOptions>; b?: Partial<GrpcTransportOptions> } = {}) {
  const a = await GrpcTransport.listen({ id: 1, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, ...extra.a });
  open.push(a);
  const b = await GrpcTransport.listen({ id: 2, clusterId: "bank", listen: { host: "127.0.0.1", port: 0 }, ...extra.b });
  open.push(b);
  const toB = await TcpProxy.listen(b.address);
  const toA = await TcpProxy.listen(a.address);
  open.push(toB, toA);
  a.updatePeers(new Map([[2, toB.address]]));
  b.updatePeers(new Map([[1, toA.address]]));
  const arrived = { atA: [] as number[], atB: [] as number[] };
  await a.start({ onMessage: () => void arrived.atA.push(performance.now()), onSnapshotRequest: noSnapshots });
  await b.start({ onMessage: () => void arrived.atB.push(performance.now()), onSnapshotRequest: noSnapshots });
  let round = 0;
  timers.push(
    setInterval(() => {
      round++;
      a.send([heartbeat(1, 2, round)]);
      b.send([heartbeat(2, 1, round)]);
    }, 20),
  );
  await waitFor(() => arrived.atA.length > 0 && arrived.atB.length > 0, "messages both ways before the cut");
  const proxies = [toB, toA];
  return {
    a,
    b,
    proxies,
    /** Cuts both links for `ms`, restores them, and returns how long after the restore messages arrived again each way. */
    async cutFor(ms: number): Promise<{ toB: number; toA: number }> {
      await new Promise((r) => setTimeout(r, 100)); // the calls settle in first
      for (const p of proxies) p.cut();
      await new Promise((r) => setTimeout(r, ms));
      const healed = performance.now();
      for (const p of proxies) p.restore();
      const firstAfter = (times: number[]) => times.find((t) => t > healed);
      await waitFor(() => firstAfter(arrived.atA) !== undefined && firstAfter(arrived.atB) !== undefined, "messages both ways after the restore", 15_000);
      return { toB: Math.round((firstAfter(arrived.atB) as number) - healed), toA: Math.round((firstAfter(arrived.atA) as number) - healed) };
    },
  };
}

it("after a cut link is restored, messages flow again both ways within 1 s (default reconnect options)", async () => {
  const pair = await linkedPair();
  // 2 s: long enough for the backoff to reach its cap several times over.
  const took = await pair.cutFor(2000);
  console.log(`grpc: messages flow again ${took.toB} ms (1 → 2) and ${took.toA} ms (2 → 1) after the restore`);
  expect(pair.proxies.reduce((n, p) => n + p.stats().refused, 0), "redials were attempted during the cut").toBeGreaterThan(0);
  expect(Math.max(took.toB, took.toA)).toBeLessThanOrEqual(REJOIN_MS);
});

it("a link waiting out a long backoff redials at once when the peer is heard from again", async () => {
  // Node 1 would wait 10 s before its next attempt: only node 2's call reaching it can cut that short.
  const pair = await linkedPair({ a: { reconnect: { minDelayMs: 10_000, maxDelayMs: 10_000 } } });
  const took = await pair.cutFor(300);
  console.log(`grpc: with node 1 backing off for 10 s, messages flow again ${took.toB} ms (1 → 2) and ${took.toA} ms (2 → 1) after the restore`);
  expect(Math.max(took.toB, took.toA)).toBeLessThanOrEqual(REJOIN_MS);
  expect(pair.a.stats().streamFailures, "node 1 made no attempt of its own after the cut").toBe(1);
});
