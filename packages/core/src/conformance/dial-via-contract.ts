import { afterEach, describe, expect, it } from "vitest";
import { NodeId, type Message } from "../engine/index.js";
import { TcpProxy } from "../testing/tcp-proxy.js";
import type { LinkedTransport } from "./link-heal-contract.js";

export interface DialViaFactory {
  /** Node `id` of one cluster, listening on 127.0.0.1 on a free port, with these `peers` and `dialVia` options. */
  listen(id: NodeId, options: { readonly peers?: Record<string, string>; readonly dialVia?: Record<string, string> }): Promise<LinkedTransport>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const [node1, node2] = [NodeId.of(1), NodeId.of(2)];
const heartbeat = (round: number): Message => ({ type: "Heartbeat", from: node1, to: node2, term: 1, commit: 0, round }) as Message;
const serveNone = () => {
  throw new Error("serves no snapshots");
};

/**
 * A network transport's `dialVia` option, as vitest tests: a peer is dialed
 * at its `dialVia` address (a proxy in front of it) whatever other address
 * it has, and an entry that is not `"host:port"` is refused with
 * `InvalidConfig` naming it.
 */
export function runDialViaContract(name: string, factory: DialViaFactory): void {
  describe(`dialVia: ${name}`, () => {
    const open: { close(): Promise<void> }[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((c) => c.close()));
    });

    it("dials a peer through its dialVia address even when membership gives the peer's own", async () => {
      const b = await factory.listen(node2, {});
      open.push(b);
      const received: Message[] = [];
      await b.start({ onMessage: (m) => void received.push(m), onSnapshotRequest: serveNone });
      const proxy = await TcpProxy.listen(b.address);
      open.push(proxy);
      const a = await factory.listen(node1, { peers: { 2: b.address }, dialVia: { 2: proxy.address } });
      open.push(a);
      a.updatePeers(new Map([[node2, b.address]]));
      await a.start({ onMessage: () => {}, onSnapshotRequest: serveNone });
      let round = 0;
      const timer = setInterval(() => a.send([heartbeat(++round)]), 10);
      try {
        for (let waited = 0; received.length < 3; waited += 5) {
          if (waited > 10_000) throw new Error("timed out waiting for heartbeats at node 2");
          await sleep(5);
        }
        expect(proxy.stats().accepted).toBeGreaterThan(0);
        expect(proxy.stats().bytes.clientToServer).toBeGreaterThan(0);
        // With the proxy cut, nothing reaches node 2 any more: node 1 has no other way to it.
        proxy.cut();
        await sleep(100);
        const before = received.length;
        await sleep(300);
        expect(received.length).toBe(before);
      } finally {
        clearInterval(timer);
      }
    });

    it("refuses a dialVia entry that is not host:port, naming it", async () => {
      await expect(factory.listen(node1, { dialVia: { 2: "nowhere" } })).rejects.toMatchObject({ code: "InvalidConfig", message: expect.stringContaining("dialVia.2") });
    });
  });
}
