import { randomBytes } from "node:crypto";
import { isSnapshotId } from "@raft/core/contracts";

export const MANIFEST = "manifest.json";

/**
 * Object keys under the store's prefix:
 *
 *     snapshots/<id>/manifest.json          the commit marker (written last): manifest + where each file's bytes are
 *     data/<owner>/<token>/<file>            file bytes; <token> is random per writer
 *     data/<owner>/<token>/.tail/<file>.<n>-<len>  a reception's flushed bytes past its last whole part
 *                                            (n: the part they will become; len: their length). A new key per flush:
 *                                            one a record names is never overwritten, even by a PUT cut short
 *     receptions/<owner>/<id>.json           a reception's durable progress
 *
 * Ids and file names are checked (`isSnapshotId`, `isSnapshotFileName`)
 * before they reach a key. File names cannot start with ".", so `.tail`
 * never meets one.
 */
export class Layout {
  readonly snapshots: string;
  readonly data: string;
  readonly receptions: string;

  constructor(
    readonly prefix: string,
    readonly owner: string,
  ) {
    this.snapshots = `${prefix}snapshots/`;
    this.data = `${prefix}data/${owner}/`;
    this.receptions = `${prefix}receptions/${owner}/`;
  }

  manifest(id: string): string {
    return `${this.snapshots}${id}/${MANIFEST}`;
  }

  /** The id a manifest key names, if it is one. */
  idOfManifest(key: string): string | undefined {
    if (!key.startsWith(this.snapshots) || !key.endsWith(`/${MANIFEST}`)) return undefined;
    const id = key.slice(this.snapshots.length, -MANIFEST.length - 1);
    return isSnapshotId(id) ? id : undefined;
  }

  tokenDir(token: string): string {
    return `${this.data}${token}/`;
  }

  file(token: string, name: string): string {
    return `${this.data}${token}/${name}`;
  }

  tail(token: string, name: string, part: number, length: number): string {
    return `${this.data}${token}/.tail/${name}.${part}-${length}`;
  }

  /** The token of a key under this owner's `data/`, if it is one. */
  tokenOf(key: string): string | undefined {
    if (!key.startsWith(this.data)) return undefined;
    const token = key.slice(this.data.length).split("/")[0];
    return token !== undefined && isToken(token) ? token : undefined;
  }

  reception(id: string): string {
    return `${this.receptions}${id}.json`;
  }

  idOfReception(key: string): string | undefined {
    if (!key.startsWith(this.receptions) || !key.endsWith(".json")) return undefined;
    const id = key.slice(this.receptions.length, -".json".length);
    return isSnapshotId(id) ? id : undefined;
  }
}

export function newToken(): string {
  return randomBytes(12).toString("hex");
}

export function isToken(token: string): boolean {
  return /^[0-9a-f]{24}$/.test(token);
}
