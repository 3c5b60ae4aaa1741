/** Counters of a node's snapshot activity, reported in `status().snapshots`. */
export interface SnapshotStats {
  /** Snapshots this node took and committed. */
  taken: number;
  /** Snapshots this node installed from a leader. */
  installed: number;
  /** Received snapshots that failed their size or SHA-256 check and were fetched again. */
  checksumFailures: number;
  /** Streams resumed from a durable offset after a break or restart. */
  resumes: number;
  bytesSent: number;
  bytesReceived: number;
}

export function emptySnapshotStats(): SnapshotStats {
  return { taken: 0, installed: 0, checksumFailures: 0, resumes: 0, bytesSent: 0, bytesReceived: 0 };
}
