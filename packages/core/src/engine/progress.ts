import { Inflights } from "./inflights.js";
import { Index } from "./brands.js";
import type { SnapshotMeta } from "./types.js";

/**
 * How the leader replicates to one follower:
 * - `probe`: the follower's position is unknown; one empty append at a time (until its answer
 *   or the next heartbeat) asks where its log matches ours;
 * - `replicate`: appends are pipelined optimistically, up to the inflight window (messages and bytes);
 * - `snapshot`: the follower needs a snapshot; appends pause.
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match = Index.zero;
  /** Next index to send. */
  next: Index;
  state: ProgressState = "probe";
  /** In probe: an append is outstanding, so wait for a response or a heartbeat before sending another. */
  probeSent = false;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Highest heartbeat round the follower has acknowledged. */
  ackedRound = 0;
  /** In snapshot: the snapshot the follower is installing, and the tick it was (last) offered. */
  snapshot: SnapshotMeta | undefined;
  snapshotSentAt = 0;
  readonly inflights: Inflights;

  constructor(next: Index, maxInflight: number, maxInflightBytes: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
  }

  becomeProbe(): void {
    this.snapshot = undefined;
    this.state = "probe";
    this.probeSent = false;
    this.inflights.reset();
    this.next = Index.of(this.match + 1);
  }

  becomeReplicate(): void {
    this.snapshot = undefined;
    this.state = "replicate";
    this.probeSent = false;
    this.inflights.reset();
    this.next = Index.of(this.match + 1);
  }

  /** The follower needs `snapshot`; appends pause until it reports the install. */
  becomeSnapshot(snapshot: SnapshotMeta, tick: number): void {
    this.state = "snapshot";
    this.snapshot = snapshot;
    this.snapshotSentAt = tick;
    this.probeSent = false;
    this.inflights.reset();
  }

  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }

  /** Records that an append ending at `lastIndex` (or an empty one), with `bytes` of entries, was sent. */
  sentAppend(lastIndex: Index, entryCount: number, bytes: number): void {
    if (this.state === "replicate") {
      if (entryCount > 0) {
        this.next = Index.of(lastIndex + 1);
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }

  /** An accepted append: the follower matches up to `index`. Returns false for a stale response. */
  maybeUpdate(index: Index): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Index.of(Math.max(this.next, index + 1));
    return updated;
  }

  /**
   * A rejected append of `rejected`; the follower may match at `probeHint`.
   * Returns false when the rejection is stale and should be ignored.
   */
  maybeDecrTo(rejected: Index, probeHint: Index): boolean {
    if (this.state === "snapshot") return false;
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = Index.of(this.match + 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Index.of(Math.max(Math.min(rejected, probeHint + 1), this.match + 1));
    this.probeSent = false;
    return true;
  }
}
