import { RaftError, type Membership, type MembershipChange, type NodeId, type RaftEngine } from "../engine/index.js";
import type { RaftNodeEvents } from "./events.js";
import type { PendingProposals } from "./pending.js";

/**
 * Membership changes as clients see them: a change resolves once it — and
 * the joint phase it may start — is applied on this node, with the final
 * membership; every waiter is rejected if the node stops.
 */
export class MembershipChanges {
  private readonly waiters = new Set<{ reject(e: Error): void; off(): void }>();

  constructor(
    private readonly d: {
      engine: () => RaftEngine;
      proposals: PendingProposals<unknown>;
      onMembership: (listener: (e: RaftNodeEvents["membership"]) => void) => () => void;
      kick: () => void;
      promoteMaxLag: number;
    },
  ) {}

  /** Throws `NotCaughtUp` while learner `id` lags the leader by more than `promoteMaxLag` entries. */
  checkCaughtUp(id: NodeId): void {
    const s = this.d.engine().status();
    const match = s.progress?.get(id)?.match;
    if (s.role === "leader" && (match === undefined || s.lastIndex - match > this.d.promoteMaxLag)) {
      throw new RaftError("NotCaughtUp", `learner ${id} is ${match === undefined ? "unknown" : s.lastIndex - match} entries behind (limit ${this.d.promoteMaxLag})`);
    }
  }

  /** Proposes `change`; resolves with the final membership once applied here. */
  change(change: MembershipChange): Promise<Membership> {
    return new Promise<Membership>((resolve, reject) => {
      const { index, term } = this.d.engine().proposeMembership(change);
      // The configuration takes effect when its entry is applied; the `membership` event follows.
      const untilFinal = () => {
        const waiter = { reject, off: () => {} };
        waiter.off = this.d.onMembership(({ membership }) => {
          if (membership.outgoing !== undefined && membership.outgoing.length > 0) return; // the joint phase; its end follows
          waiter.off();
          this.waiters.delete(waiter);
          resolve(membership);
        });
        this.waiters.add(waiter);
      };
      this.d.proposals.add(index, term, { resolve: untilFinal, reject }, "config");
      this.d.kick();
    });
  }

  rejectAll(error: Error): void {
    for (const w of this.waiters) {
      w.off();
      w.reject(error);
    }
    this.waiters.clear();
  }
}
