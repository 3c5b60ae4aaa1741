/** Counters of a node's snapshot activity, reported in `status().snapshots`. */
export interface SnapshotStats {
  /** Snapshots this node took and committed. */
  taken: number;
  /** Snapshots this node installed from a leader (whatever the bytes' source). */
  installed: number;
  /** Received snapshots that failed their size or SHA-256 check and were fetched again. */
  checksumFailures: number;
  /** Streams resumed from a durable offset after a break or restart. */
  resumes: number;
  /** Bytes served to peers over the transport. */
  bytesSent: number;
  /** Bytes received for installs: from peers, and read straight from snapshots' locations. */
  bytesReceived: number;
  /** The part of `bytesReceived` read straight from snapshots' locations (S3), not from a peer. */
  urlBytesReceived: number;
  /** Installs offered with a location this node can read that fell back to pulling from the leader (location unreachable, snapshot gone or damaged there). */
  urlFallbacks: number;
}

export function emptySnapshotStats(): SnapshotStats {
  return { taken: 0, installed: 0, checksumFailures: 0, resumes: 0, bytesSent: 0, bytesReceived: 0, urlBytesReceived: 0, urlFallbacks: 0 };
}
