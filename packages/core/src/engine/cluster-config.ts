import { RaftError } from "./errors.js";
import { majorityValue, voteResult, type VoteResult } from "./quorum.js";
import type { Membership, MembershipChange, NodeId } from "./types.js";

/**
 * The configuration a node acts on, with the quorum arithmetic for it. In a
 * joint configuration every decision — commit, election, check-quorum, read
 * confirmation — needs a majority of the incoming and of the outgoing voters.
 */
export class ClusterConfig {
  readonly voters: readonly NodeId[];
  readonly outgoing: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly addresses: Readonly<Record<string, string>>;

  constructor(m: Membership) {
    this.voters = [...m.voters];
    this.outgoing = [...(m.outgoing ?? [])];
    this.learners = [...m.learners];
    this.addresses = { ...(m.addresses ?? {}) };
  }

  get joint(): boolean {
    return this.outgoing.length > 0;
  }

  isVoter(id: NodeId): boolean {
    return this.voters.includes(id) || this.outgoing.includes(id);
  }

  /** Everyone the leader replicates to: voters of both sets and learners. */
  members(): NodeId[] {
    return [...new Set([...this.voters, ...this.outgoing, ...this.learners])];
  }

  allVoters(): NodeId[] {
    return [...new Set([...this.voters, ...this.outgoing])];
  }

  /** The largest value a quorum has reached (commit index over match indices, acknowledged heartbeat rounds). */
  quorumValue(valueOf: (id: NodeId) => number): number {
    const incoming = majorityValue(this.voters, valueOf);
    return this.joint ? Math.min(incoming, majorityValue(this.outgoing, valueOf)) : incoming;
  }

  vote(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    const a = voteResult(this.voters, votes);
    if (!this.joint) return a;
    const b = voteResult(this.outgoing, votes);
    if (a === "lost" || b === "lost") return "lost";
    return a === "won" && b === "won" ? "won" : "pending";
  }

  quorumActive(active: (id: NodeId) => boolean): boolean {
    return this.quorumValue((id) => (active(id) ? 1 : 0)) === 1;
  }

  /** A single voter decides alone: no heartbeat round is needed to confirm anything. */
  soleVoter(id: NodeId): boolean {
    return !this.joint && this.voters.length === 1 && this.voters[0] === id;
  }

  toMembership(): Membership {
    const m: Membership = { voters: this.voters, learners: this.learners };
    return { ...m, ...(this.joint ? { outgoing: this.outgoing } : {}), ...(Object.keys(this.addresses).length > 0 ? { addresses: this.addresses } : {}) };
  }

  /**
   * The configuration after `change`. Adding or removing a learner needs no
   * joint phase; promoting or removing a voter enters one, which the leader
   * leaves once it is applied.
   */
  apply(change: MembershipChange): Membership {
    if (this.joint) throw new RaftError("ConfigChangeInProgress", "a membership change is still in progress (joint configuration)");
    const { node } = change;
    const base = this.toMembership();
    switch (change.type) {
      case "addLearner": {
        if (this.isVoter(node) || this.learners.includes(node)) throw new RaftError("InvalidConfig", `node ${node} is already a member`);
        const addresses = change.address === undefined ? base.addresses : { ...this.addresses, [node]: change.address };
        return { ...base, learners: [...this.learners, node], ...(addresses === undefined ? {} : { addresses }) };
      }
      case "promote":
        if (!this.learners.includes(node)) throw new RaftError("InvalidConfig", `node ${node} is not a learner`);
        return { ...base, voters: [...this.voters, node], outgoing: this.voters, learners: this.learners.filter((l) => l !== node) };
      case "remove": {
        if (this.learners.includes(node)) return { ...base, learners: this.learners.filter((l) => l !== node), addresses: without(this.addresses, node) };
        if (!this.voters.includes(node)) throw new RaftError("InvalidConfig", `node ${node} is not a member`);
        if (this.voters.length === 1) throw new RaftError("InvalidConfig", "cannot remove the last voter");
        return { ...base, voters: this.voters.filter((v) => v !== node), outgoing: this.voters };
      }
    }
  }

  /** The configuration that ends a joint phase: the incoming voters alone. */
  leaveJoint(): Membership {
    const departed = this.outgoing.filter((v) => !this.voters.includes(v) && !this.learners.includes(v));
    let addresses = this.addresses;
    for (const d of departed) addresses = without(addresses, d);
    return { voters: this.voters, learners: this.learners, ...(Object.keys(addresses).length > 0 ? { addresses } : {}) };
  }
}

function without(addresses: Readonly<Record<string, string>>, node: NodeId): Record<string, string> {
  const copy = { ...addresses };
  delete copy[String(node)];
  return copy;
}

/** Config entries carry their membership as JSON. */
export function encodeMembership(m: Membership): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m));
}

export function decodeMembership(data: Uint8Array): Membership {
  return JSON.parse(new TextDecoder().decode(data)) as Membership;
}
