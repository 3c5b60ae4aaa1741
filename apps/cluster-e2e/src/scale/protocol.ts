/**
 * What the snapshot-at-scale harness and its node processes exchange: the
 * node's config (a JSON file), and requests and replies over IPC.
 */

/** Where a node keeps its snapshots. */
export type SnapshotStoreChoice =
  | { readonly kind: "disk" }
  | {
      readonly kind: "s3";
      readonly endpoint: string;
      readonly bucket: string;
      /** This node's own prefix in the bucket. */
      readonly prefix: string;
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly partSize?: number;
      readonly parallelism?: number;
    };

/** Written by the harness, not by people: trusted as is. */
export interface SnapshotNodeConfig {
  readonly id: number;
  readonly clusterId: string;
  /** The cluster's voters; a node that `join`s is not among them and waits to be added. */
  readonly voters: readonly number[];
  readonly join: boolean;
  readonly dir: string;
  readonly transport: "grpc" | "ws";
  readonly port: number;
  /** Other nodes' addresses as this node dials them (a proxy's, for fault tests). */
  readonly peers: Readonly<Record<string, string>>;
  readonly snapshots: SnapshotStoreChoice;
  readonly chunkBytes: number;
  readonly progressTimeoutMs: number;
  readonly tickMs: number;
  readonly electionTicks: number;
  /** Log lines at `info` and above on stderr (default: `warn` and above). */
  readonly verbose?: boolean;
}

/** A command of the blob state machine, JSON in the log entry. */
export type BlobCommand =
  /** The state becomes `bytes` bytes generated from `seed` (nothing is held in memory). */
  | { readonly op: "generate"; readonly bytes: number; readonly seed: number }
  /** Counts one more write; the state's bytes stay. */
  | { readonly op: "touch" };

/** The blob state machine's state, as a read reports it. */
export interface BlobState {
  readonly bytes: number;
  readonly seed: number;
  /** Commands applied (generate and touch). */
  readonly commands: number;
  /** SHA-256 of the blob file in the newest snapshot this node took or restored, if any. */
  readonly blobSha256: string | undefined;
  /** The snapshot this state was last restored from (at startup or by an install), if any. */
  readonly restoredFrom: string | undefined;
}

/** A finished snapshot stream, as the node's `transfer` event reported it. */
export interface TransferRecord {
  readonly peer: number;
  readonly direction: "send" | "receive";
  readonly source: string;
  readonly id: string;
  readonly bytesTotal: number;
  readonly durationMs: number;
  readonly ok: boolean;
  /** Wall-clock time it ended (ms since the epoch, this machine). */
  readonly endedAt: number;
}

export interface SnapshotNodeStatus {
  readonly id: number;
  readonly pid: number;
  readonly role: string;
  readonly term: number;
  readonly leader: number;
  readonly commit: number;
  readonly applied: number;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** `status().snapshots` of the node: taken, installed, resumes, bytesSent, bytesReceived, urlBytesReceived, urlFallbacks, checksumFailures. */
  readonly snapshots: Readonly<Record<string, number>>;
  /** Streams in flight. */
  readonly transfers: readonly { peer: number; direction: string; source: string; id: string; bytesDone: number; bytesTotal: number }[];
  /** Streams finished. */
  readonly finished: readonly TransferRecord[];
  /** The transport's own snapshot byte counters (bytes that crossed its sockets, whether kept or not). */
  readonly transport: { readonly snapshotBytesSent: number; readonly snapshotBytesReceived: number };
  readonly blob: BlobState;
  /** Wall-clock times (ms since the epoch) of each install. */
  readonly installedAt: readonly number[];
  /** `process.memoryUsage()` now, and the largest value of each field seen since the last `gc` request (sampled every 50 ms). */
  readonly memory: { readonly now: MemoryFields; readonly peak: MemoryFields };
}

export interface MemoryFields {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface SnapshotSummary {
  readonly id: string;
  readonly index: number;
  readonly term: number;
  readonly size: number;
  readonly files: readonly { name: string; size: number; sha256: string }[];
}

/** Parent → child. */
export type NodeRequest =
  | { readonly seq: number; readonly op: "status" }
  | { readonly seq: number; readonly op: "propose"; readonly command: BlobCommand }
  /** A linearizable read: resolves (on the leader, or on a follower through the leader) once the state is current. */
  | { readonly seq: number; readonly op: "read" }
  | { readonly seq: number; readonly op: "take-snapshot" }
  | { readonly seq: number; readonly op: "add-learner"; readonly id: number; readonly address: string }
  | { readonly seq: number; readonly op: "promote"; readonly id: number }
  /** A full garbage collection (the process runs with --expose-gc), so an idle RSS is measured without garbage. */
  | { readonly seq: number; readonly op: "gc" };

export type NodeOp = NodeRequest["op"];

/** What a read answers. */
export interface ReadResult extends BlobState {
  /** The read point: every write acknowledged before the read is applied at or below it. */
  readonly index: number;
}

/** Child → parent: a reply to `seq`, or (seq 0) the notice that the node is up. */
export type NodeReply =
  | { readonly seq: number; readonly ok: true; readonly result: unknown }
  | { readonly seq: number; readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly leaderHint?: number } };
