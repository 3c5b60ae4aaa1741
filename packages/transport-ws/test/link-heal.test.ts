import { TcpProxy } from "@raft/core/testing";
import { afterEach, expect, it } from "vitest";
import { WsTransport, type WsTransportOptions } from "../src/index.js";
import { CLUSTER, closedAfterEach, heartbeat, waitFor } from "./support/transports.js";

const open = closedAfterEach();
const timers: NodeJS.Timeout[] = [];
afterEach(() => {
  for (const t of timers.splice(0)) clearInterval(t);
});

/** The promise: after a heal, messages flow again within this. */
const REJOIN_MS = 1000;

const serveNone = () => {
  throw new Error("serves no snapshots");
};

/**
 * Nodes 1 and 2 with the default reconnect options (unless `extra` says
 * otherwise), each dialing the other through a proxy in front of it —
 * whichever connection comes up carries both ways — and both sending a
 * heartbeat every 20 ms, as a leader and a follower's answers would.
 * Records when messages arrive.
 */
async function linkedPair(extra: { a?: Partial<WsTransportOptions>; b?: Partial<WsTransportOptions> } = {}) {
  const a = await WsTransport.listen({ id: 1, clusterId: CLUSTER, listen: { host: "127.0.0.1", port: 0 }, ...extra.a });
  open.push(a);
  const b = await WsTransport.listen({ id: 2, clusterId: CLUSTER, listen: { host: "127.0.0.1", port: 0 }, ...extra.b });
  open.push(b);
  const toB = await TcpProxy.listen(b.address);
  open.push(toB);
  const toA = await TcpProxy.listen(a.address);
  open.push(toA);
  a.updatePeers(new Map([[2, toB.address]]));
  b.updatePeers(new Map([[1, toA.address]]));
  const arrived = { atA: [] as number[], atB: [] as number[] };
  await a.start({ onMessage: () => void arrived.atA.push(performance.now()), onSnapshotRequest: serveNone });
  await b.start({ onMessage: () => void arrived.atB.push(performance.now()), onSnapshotRequest: serveNone });
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
      await new Promise((r) => setTimeout(r, 100));
      for (const p of proxies) p.cut();
      await new Promise((r) => setTimeout(r, ms));
      expect(a.stats().connections + b.stats().connections, "the cut closed the connection on both sides").toBe(0);
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
  console.log(`ws: messages flow again ${took.toB} ms (1 → 2) and ${took.toA} ms (2 → 1) after the restore`);
  expect(pair.proxies.reduce((n, p) => n + p.stats().refused, 0), "redials were attempted during the cut").toBeGreaterThan(0);
  expect(Math.max(took.toB, took.toA)).toBeLessThanOrEqual(REJOIN_MS);
});

it("a node waiting out a long backoff uses the peer's connection at once", async () => {
  // Node 1 would wait 10 s before it dials again: node 2's connection to it ends that wait.
  const pair = await linkedPair({ a: { reconnect: { minDelayMs: 10_000, maxDelayMs: 10_000 } } });
  const dialsBefore = pair.a.stats().dials;
  const took = await pair.cutFor(300);
  console.log(`ws: with node 1 backing off for 10 s, messages flow again ${took.toB} ms (1 → 2) and ${took.toA} ms (2 → 1) after the restore`);
  expect(Math.max(took.toB, took.toA)).toBeLessThanOrEqual(REJOIN_MS);
  expect(pair.a.stats().dials, "node 1 did not dial again itself").toBe(dialsBefore);
  expect(pair.a.connections()).toMatchObject([{ peer: 2, dialedBy: 2 }]);
});
