import type { Clock } from "../../contracts/index.js";
import type { NodeId } from "../../engine/index.js";

/** A snapshot stream in flight, as `status().transfers` reports it. */
export interface SnapshotTransfer {
  readonly peer: NodeId;
  /** `send`: this node serves the snapshot to `peer`; `receive`: it pulls it from `peer`. */
  readonly direction: "send" | "receive";
  /**
   * Where the bytes come from: `peer` over the transport (always, for
   * `send`); `url` read straight from the snapshot's location (S3), with no
   * bytes from the leader; `local` already in this node's store (a store
   * sharing the leader's location), nothing moved. A receive that falls back
   * from its location to the leader changes from `url` to `peer`.
   */
  readonly source: TransferSource;
  readonly id: string;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly startedAt: number;
}

export type TransferSource = "peer" | "url" | "local";

/** A finished (or abandoned) transfer, as the `transfer` event reports it. */
export interface FinishedTransfer extends SnapshotTransfer {
  readonly durationMs: number;
  readonly ok: boolean;
}

/** A sender that hears nothing from its peer for this long forgets the transfer (the peer died or gave up). */
const abandonAfterMs = 30_000;

/**
 * Tracks snapshot streams in flight in both directions. A follower pulls a
 * snapshot file by file and resumes after breaks, so one transfer spans
 * several streams: it is keyed by peer and snapshot id and ends when the last
 * byte has moved, on failure, or (on the sending side) when it goes quiet.
 */
export class TransferTracker {
  private readonly active = new Map<string, SnapshotTransfer & { touchedAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly onFinished: (t: FinishedTransfer) => void,
  ) {}

  /** Records progress, starting the transfer if it is new. Ends it with success once `bytesDone` reaches `bytesTotal`. */
  progress(peer: NodeId, direction: SnapshotTransfer["direction"], id: string, bytesDone: number, bytesTotal: number, source: TransferSource = "peer"): void {
    const key = `${direction}:${peer}:${id}`;
    const now = this.clock.now();
    const t = this.active.get(key) ?? { peer, direction, source, id, bytesDone, bytesTotal, startedAt: now, touchedAt: now };
    this.active.set(key, { ...t, source, bytesDone, bytesTotal, touchedAt: now });
    if (bytesDone >= bytesTotal) this.end(peer, direction, id, true);
  }

  end(peer: NodeId, direction: SnapshotTransfer["direction"], id: string, ok: boolean): void {
    const key = `${direction}:${peer}:${id}`;
    const t = this.active.get(key);
    if (t === undefined) return;
    this.active.delete(key);
    const { touchedAt: _, ...transfer } = t;
    this.onFinished({ ...transfer, durationMs: this.clock.now() - t.startedAt, ok });
  }

  list(): SnapshotTransfer[] {
    const now = this.clock.now();
    for (const t of [...this.active.values()]) if (t.direction === "send" && now - t.touchedAt > abandonAfterMs) this.end(t.peer, t.direction, t.id, false);
    return [...this.active.values()].map(({ touchedAt: _, ...t }) => t);
  }
}
