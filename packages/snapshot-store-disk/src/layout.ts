import { join, resolve } from "node:path";
import { RaftError, isSnapshotFileName, isSnapshotId } from "@raft/core/contracts";

export const MANIFEST = "manifest.json";
export const PROGRESS = "progress.json";
export const FILES = "files";

/**
 * Where everything lives under the store's directory:
 *
 * ```
 * snapshots/<id>/manifest.json, files/<name>   committed, published by one rename
 * partial/<id>/progress.json, files/<name>      receptions, resumable
 * tmp/<random>/                                 local snapshots being written; emptied on open
 * quarantine/                                   snapshots whose manifest did not validate
 * ```
 *
 * Every id and file name is checked here before it becomes part of a path,
 * so nothing a peer sends can point outside the directory.
 */
export class Layout {
  readonly root: string;
  readonly snapshots: string;
  readonly partial: string;
  readonly tmp: string;
  readonly quarantine: string;

  constructor(dir: string) {
    this.root = resolve(dir);
    this.snapshots = join(this.root, "snapshots");
    this.partial = join(this.root, "partial");
    this.tmp = join(this.root, "tmp");
    this.quarantine = join(this.root, "quarantine");
  }

  snapshot(id: string): string {
    return join(this.snapshots, checkId(id));
  }

  snapshotFile(id: string, name: string): string {
    return join(this.snapshot(id), FILES, checkName(name));
  }

  reception(id: string): string {
    return join(this.partial, checkId(id));
  }

  receptionFile(id: string, name: string): string {
    return join(this.reception(id), FILES, checkName(name));
  }

  /** A file of a local snapshot being written in `dir` (under `tmp/`). */
  draftFile(dir: string, name: string): string {
    return join(dir, FILES, checkName(name));
  }
}

// Public methods check ids and names first to pick the right error code; these are the last line of defence.
function checkId(id: string): string {
  if (!isSnapshotId(id)) throw new RaftError("InvalidConfig", `not a snapshot id: ${JSON.stringify(id)}`);
  return id;
}

function checkName(name: string): string {
  if (!isSnapshotFileName(name)) throw new RaftError("InvalidConfig", `not a snapshot file name: ${JSON.stringify(name)}`);
  return name;
}
