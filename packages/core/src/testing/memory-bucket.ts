import { isSnapshotId } from "../contracts/snapshot-manifest.js";
import { RaftError, type SnapshotMeta } from "../engine/index.js";

/** A committed snapshot: its manifest and its files' bytes. */
export interface Stored {
  readonly meta: SnapshotMeta;
  readonly data: ReadonlyMap<string, Uint8Array>;
}

/**
 * Shared storage for `MemorySnapshotStore`s, standing in for an S3 bucket in
 * deterministic tests: committed snapshots by prefix, plus faults of the
 * path between readers and the bucket. The faults apply to located reads
 * (`openLocated`) only; a store's reads of its own snapshots go on, as for a
 * follower cut off from S3 while the leader still reaches it.
 */
export class MemoryBucket {
  /** While true, `openLocated` and reads through it fail with `Unavailable`. */
  unreachable = false;
  /** Located reads fail with `Unavailable` once this many bytes were served through them (and the bucket turns unreachable): a cut mid-transfer. */
  failLocatedReadsAfter = Number.POSITIVE_INFINITY;
  /** Bytes served through located reads so far. */
  locatedBytesRead = 0;
  private readonly prefixes = new Map<string, Map<string, Stored>>();

  constructor(readonly name = "bucket") {
    if (!/^[a-z0-9][a-z0-9.-]{0,62}$/.test(name)) throw new RaftError("InvalidConfig", `not a bucket name: ${JSON.stringify(name)}`);
  }

  /** The committed snapshots under `prefix`, by id (shared by every store on that prefix). */
  snapshotsUnder(prefix: string): Map<string, Stored> {
    let m = this.prefixes.get(prefix);
    if (m === undefined) this.prefixes.set(prefix, (m = new Map()));
    return m;
  }

  /** Counts `n` located bytes, failing once the budget is spent. */
  serve(n: number, where: string): void {
    if (this.unreachable) throw new RaftError("Unavailable", `bucket ${this.name} is unreachable (${where})`);
    if (this.locatedBytesRead + n > this.failLocatedReadsAfter) {
      this.unreachable = true;
      throw new RaftError("Unavailable", `bucket ${this.name} became unreachable after ${this.locatedBytesRead} bytes (${where})`);
    }
    this.locatedBytesRead += n;
  }
}

/** The bucket, prefix and snapshot id of a `mem://<bucket>/<id>?prefix=…` location; undefined if it is not one. */
export function parseMemLocation(location: string): { bucket: string; prefix: string; id: string } | undefined {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return undefined;
  }
  const id = url.pathname.slice(1);
  if (url.protocol !== "mem:" || url.hostname === "" || !isSnapshotId(id)) return undefined;
  return { bucket: url.hostname, prefix: url.searchParams.get("prefix") ?? "", id };
}
