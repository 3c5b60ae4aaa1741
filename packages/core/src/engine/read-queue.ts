import type { Index, NodeId } from "./types.js";

/** A read the leader is confirming: requested by `from` (possibly itself) with its id there. */
export interface PendingRead {
  readonly id: number;
  readonly from: NodeId;
  readonly index: Index;
  /** The heartbeat round whose quorum acknowledgement confirms leadership. */
  readonly round: number;
}

/**
 * Leader-side ReadIndex bookkeeping (§6.4 of the Raft thesis). A read waits
 * first for an entry of the current term to commit (so the commit index is
 * the leader's own), then for a quorum to acknowledge a heartbeat round that
 * started after the read arrived.
 */
export class ReadQueue {
  /** Reads that arrived before the leader committed an entry of its term. */
  waitingForCommit: { id: number; from: NodeId }[] = [];
  /** Reads ordered by round. */
  waitingForQuorum: PendingRead[] = [];

  /** Removes and returns the reads confirmed once a quorum acknowledged `round`. */
  takeConfirmed(round: number): PendingRead[] {
    let n = 0;
    while (n < this.waitingForQuorum.length && (this.waitingForQuorum[n] as PendingRead).round <= round) n++;
    return n === 0 ? [] : this.waitingForQuorum.splice(0, n);
  }

  takeAll(): { id: number; from: NodeId }[] {
    const all = [...this.waitingForCommit, ...this.waitingForQuorum];
    this.waitingForCommit = [];
    this.waitingForQuorum = [];
    return all;
  }
}
