import type { NodeId } from "../../engine/index.js";
import { changeMembership } from "./membership.js";
import type { SimCluster, SimNode } from "./sim-cluster.js";

/**
 * The fault phase: every 100–400 ms, with the mix's probabilities, the bucket
 * comes or goes, the network is partitioned (or healed), the membership
 * changes, a disk stalls, a node crashes or restarts.
 */
export class FaultScheduler {
  private running = true;

  constructor(private readonly c: SimCluster) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.running = false;
  }

  private schedule(): void {
    const { clock, prng, settings } = this.c;
    const { mix, bucket } = settings;
    clock.setTimeout(
      () => {
        if (!this.running) return;
        if (bucket !== undefined && prng.chance(mix.partition)) {
          bucket.unreachable = !bucket.unreachable;
          this.c.log(`bucket ${bucket.unreachable ? "unreachable" : "reachable"}`);
        }
        if (prng.chance(mix.partition)) this.partition();
        if (prng.chance(mix.membership)) changeMembership(this.c);
        if (prng.chance(mix.diskStall)) this.stallDisk();
        if (prng.chance(mix.crash)) this.crashOrRestart();
        this.schedule();
      },
      prng.int(100, 400),
    );
  }

  /** Heals the network, then half the time cuts one link or splits the cluster. */
  private partition(): void {
    const { network, prng, ids, settings } = this.c;
    const size = settings.size;
    network.heal();
    network.faults = settings.mix.network;
    network.streamFaults = settings.mix.streams;
    if (!prng.chance(0.5)) {
      this.c.log("network healed");
      return;
    }
    const victim = ids[prng.int(0, size)] as NodeId;
    if (prng.chance(settings.mix.oneWay)) {
      const other = ids.filter((id) => id !== victim)[prng.int(0, size - 1)] as NodeId;
      network.cut(victim, other);
      this.c.log(`link ${victim}→${other} cut`);
    } else {
      const shuffled = [...ids].sort(() => prng.next() - 0.5);
      const cut = prng.int(1, Math.ceil(size / 2) + 1);
      network.partition(shuffled.slice(0, cut), shuffled.slice(cut));
      this.c.log(`partition ${shuffled.slice(0, cut).join(",")} | ${shuffled.slice(cut).join(",")}`);
    }
    this.c.stats.partitions++;
  }

  /** A disk stalls, the leader's more often than not; half the time its node then crashes with writes in flight. */
  private stallDisk(): void {
    const { prng, nodes, clock } = this.c;
    const leader = this.c.leaderGuess();
    const n = leader !== undefined && prng.chance(0.6) ? leader : nodes[prng.int(0, nodes.length)];
    const live = n?.live;
    if (n === undefined || live === undefined) return;
    const ms = prng.int(20, 200);
    this.c.log(`node ${n.id}'s disk stalls for ${ms}ms`);
    live.store.stall(ms);
    if (prng.chance(0.5)) {
      clock.setTimeout(
        () => {
          if (this.running && n.live === live) this.c.pendingStarts.push(this.c.crash(n));
        },
        prng.int(5, ms),
      );
    }
  }

  /** A live node crashes, or a crashed one restarts (never one out of the cluster). */
  private crashOrRestart(): void {
    const { prng, nodes, ids } = this.c;
    const n = nodes[prng.int(0, nodes.length)] as SimNode;
    if (n.retired || (n.incarnation === 0 && !ids.includes(n.id))) return;
    if (n.live !== undefined) this.c.pendingStarts.push(this.c.crash(n));
    else if (!n.starting) {
      this.c.log(`node ${n.id} restarts`);
      this.c.pendingStarts.push(this.c.start(n));
    }
  }
}
