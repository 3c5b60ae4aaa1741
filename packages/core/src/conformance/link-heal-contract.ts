import { afterEach, describe, expect, it } from "vitest";
import type { AddressBook } from "../contracts/index.js";
import { NodeId, type Message } from "../engine/index.js";
import { TcpProxy } from "../testing/tcp-proxy.js";
import type { ListeningTransport } from "../testing/test-cluster.js";

/** A network transport listening on 127.0.0.1 (the testing kit's `ListeningTransport`) that takes peer addresses. */
export type LinkedTransport = ListeningTransport & { updatePeers(book: AddressBook): void };

export interface LinkHealFactory {
  /**
   * Node `id` of one cluster, listening on 127.0.0.1 on a free port, with the
   * transport's default reconnect options unless `reconnect` is given.
   */
  listen(id: NodeId, reconnect?: { readonly minDelayMs: number; readonly maxDelayMs: number }): Promise<LinkedTransport>;
  /**
   * Checks, on node 1, that after the heal it used node 2's sign of life
   * rather than waiting out its own 10 s backoff (each transport says what
   * that looks like: a redial at once, or node 2's connection used both ways).
   */
  checkWokenBy?(node1: LinkedTransport, before: unknown): void;
  /** Checks on both nodes while the links are cut (after the cut has had its effect). */
  checkCut?(node1: LinkedTransport, node2: LinkedTransport): void;
  /** What `checkWokenBy` gets as `before`, taken from node 1 once both links are up. */
  snapshot?(node1: LinkedTransport): unknown;
}

/** The promise: after a heal, messages flow again within this. */
export const REJOIN_MS = 1000;

const heartbeat = (from: NodeId, to: NodeId, round: number): Message => ({ type: "Heartbeat", from, to, term: 1, commit: 0, round }) as Message;
const [node1, node2] = [NodeId.of(1), NodeId.of(2)];
const serveNone = () => {
  throw new Error("serves no snapshots");
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * How fast a network transport's links heal, as vitest tests: nodes 1 and 2,
 * each reaching the other through a `TcpProxy` in front of it, both sending a
 * heartbeat every 20 ms as a leader and a follower's answers would. Both
 * links are cut and restored; messages must flow both ways again within
 * `REJOIN_MS`, with the default reconnect options, and also when node 1 is
 * backing off for 10 s (node 2 reaching it must end that wait).
 */
export function runLinkHealContract(name: string, factory: LinkHealFactory): void {
  describe(`link heal: ${name}`, () => {
    const open: { close(): Promise<void> }[] = [];
    const timers: ReturnType<typeof setInterval>[] = [];
    afterEach(async () => {
      for (const t of timers.splice(0)) clearInterval(t);
      await Promise.all(open.splice(0).map((c) => c.close()));
    });

    async function linkedPair(slowNode1: boolean) {
      const a = await factory.listen(node1, slowNode1 ? { minDelayMs: 10_000, maxDelayMs: 10_000 } : undefined);
      open.push(a);
      const b = await factory.listen(node2);
      open.push(b);
      const toB = await TcpProxy.listen(b.address);
      open.push(toB);
      const toA = await TcpProxy.listen(a.address);
      open.push(toA);
      a.updatePeers(new Map([[node2, toB.address]]));
      b.updatePeers(new Map([[node1, toA.address]]));
      const atA: number[] = [];
      const atB: number[] = [];
      await a.start({ onMessage: () => void atA.push(performance.now()), onSnapshotRequest: serveNone });
      await b.start({ onMessage: () => void atB.push(performance.now()), onSnapshotRequest: serveNone });
      let round = 0;
      timers.push(
        setInterval(() => {
          round++;
          a.send([heartbeat(node1, node2, round)]);
          b.send([heartbeat(node2, node1, round)]);
        }, 20),
      );
      await waitFor(() => atA.length > 0 && atB.length > 0, "messages both ways before the cut", 10_000);
      const proxies = [toB, toA];
      /** Cuts both links for `ms`, restores them, and returns how long after the restore messages arrived again each way. */
      const cutFor = async (ms: number) => {
        await sleep(100); // the connections settle in first
        for (const p of proxies) p.cut();
        await sleep(ms);
        factory.checkCut?.(a, b);
        const healed = performance.now();
        for (const p of proxies) p.restore();
        const firstAfter = (times: number[]) => times.find((t) => t > healed);
        await waitFor(() => firstAfter(atA) !== undefined && firstAfter(atB) !== undefined, "messages both ways after the restore", 15_000);
        return { toB: Math.round((firstAfter(atB) as number) - healed), toA: Math.round((firstAfter(atA) as number) - healed) };
      };
      return { a, b, proxies, cutFor };
    }

    it(`after a cut link is restored, messages flow again both ways within ${REJOIN_MS} ms (default reconnect options)`, async () => {
      const pair = await linkedPair(false);
      // 2 s: long enough for the backoff to reach its cap several times over.
      const took = await pair.cutFor(2000);
      console.log(`${name}: messages flow again ${took.toB} ms (1 → 2) and ${took.toA} ms (2 → 1) after the restore`);
      expect(
        pair.proxies.reduce((n, p) => n + p.stats().refused, 0),
        "redials were attempted during the cut",
      ).toBeGreaterThan(0);
      expect(Math.max(took.toB, took.toA)).toBeLessThanOrEqual(REJOIN_MS);
    });

    it("a node waiting out a long backoff is woken by the peer reaching it", async () => {
      // Node 1 would wait 10 s before it tries again: only node 2 reaching it can cut that short.
      const pair = await linkedPair(true);
      const before = factory.snapshot?.(pair.a);
      const took = await pair.cutFor(300);
      console.log(`${name}: with node 1 backing off for 10 s, messages flow again ${took.toB} ms (1 → 2) and ${took.toA} ms (2 → 1) after the restore`);
      expect(Math.max(took.toB, took.toA)).toBeLessThanOrEqual(REJOIN_MS);
      factory.checkWokenBy?.(pair.a, before);
    });
  });
}
