import type { EngineStatus } from "../engine/index.js";
import type { CatchUpStats } from "./storage/read-ahead-log.js";
import type { SnapshotStats } from "./snapshots/snapshot-stats.js";
import type { SnapshotTransfer } from "./snapshots/transfer-tracker.js";

export interface RaftNodeStatus extends EngineStatus {
  /** Proposals waiting to apply on this node. */
  readonly pendingProposals: number;
  /** Reads waiting for a read point or for it to apply. */
  readonly pendingReads: number;
  readonly stopped: boolean;
  readonly snapshots: Readonly<SnapshotStats>;
  /** Snapshot streams in flight, to and from peers. */
  readonly transfers: readonly SnapshotTransfer[];
  /** Older entries read ahead for lagging followers, and the time pacing held them back (zeros for a store that cannot read ahead). */
  readonly catchUp: Readonly<CatchUpStats>;
}

export interface ProposeOptions {
  /** Reject with `Timeout` (outcome unknown) if not applied here within this many ms; default `proposeTimeoutMs`, 0 never. */
  readonly timeoutMs?: number;
  /** Reject with `Aborted` (outcome unknown) when it aborts. */
  readonly signal?: AbortSignal;
}

export interface TakeSnapshotOptions {
  /** On a leader: first hand leadership to an up-to-date follower, so the heavy work does not slow the cluster's leader. */
  readonly transferLeadershipFirst?: boolean;
}
