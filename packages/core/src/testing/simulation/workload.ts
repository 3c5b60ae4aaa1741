import { isRaftError } from "../../engine/index.js";
import type { SimCluster, SimNode } from "./sim-cluster.js";

/**
 * Clients of the simulated cluster: every few milliseconds, a read or a few
 * writes, mostly at the node that seems to lead. Every acknowledged write
 * and every read is reported to the safety checker, and so is every write
 * refused as dropped (which must then never apply).
 */
export class Workload {
  private running = true;

  constructor(private readonly c: SimCluster) {}

  start(): void {
    this.schedule();
  }

  /** No new requests (those in flight go on). */
  stop(): void {
    this.running = false;
  }

  private schedule(): void {
    const { clock, prng, nodes, settings } = this.c;
    clock.setTimeout(
      () => {
        if (!this.running) return;
        const target = prng.chance(0.8) ? this.c.leaderGuess() : nodes[prng.int(0, settings.size)];
        if (prng.chance(0.25)) this.read(target);
        else for (let i = prng.int(1, 4); i > 0; i--) this.write(target);
        this.schedule();
      },
      prng.int(2, 11),
    );
  }

  private write(n: SimNode | undefined): void {
    const node = n?.live?.node;
    if (node === undefined) return;
    const { stats, checker } = this.c;
    const value = `w${stats.writes++}`;
    const p = node.propose(new TextEncoder().encode(value)).then(
      (index) => {
        stats.writesAcked++;
        checker.writeAcknowledged(index);
      },
      (e: unknown) => {
        stats.writesFailed++;
        if (!isRaftError(e)) throw e;
        if (e.code === "ProposalDropped") checker.writeDropped(value);
      },
    );
    this.c.track(p);
  }

  private read(n: SimNode | undefined): void {
    const live = n?.live;
    if (n === undefined || live === undefined) return;
    const { stats, checker } = this.c;
    stats.reads++;
    const token = checker.readStarted();
    const p = live.node.read().then(
      () => {
        stats.readsOk++;
        checker.readReturned(n.id, token, live.sm.appliedIndex);
      },
      (e: unknown) => {
        stats.readsFailed++;
        if (!isRaftError(e)) throw e;
      },
    );
    this.c.track(p);
  }
}
