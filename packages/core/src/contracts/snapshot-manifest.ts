import { createHash } from "node:crypto";
import type { SnapshotFile } from "../engine/index.js";

/** SHA-256 over a snapshot's file list (name, size, file digest, in order): the manifest digest. */
export function manifestDigest(files: readonly SnapshotFile[]): string {
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.name}\n${f.size}\n${f.sha256}\n`);
  return h.digest("hex");
}

/** A snapshot's id: its position and content, so equal states share ids. Safe as a file name. */
export function snapshotId(index: number, term: number, digest: string): string {
  return `${String(index).padStart(16, "0")}-${term}-${digest.slice(0, 16)}`;
}

const idPattern = /^\d{16}-\d{1,16}-[0-9a-f]{16}$/;

/** True for ids `snapshotId` can produce: no path separators, dots or other surprises. */
export function isSnapshotId(id: string): boolean {
  return idPattern.test(id);
}

/** File names inside a snapshot: a short plain name, never a path. */
export function isSnapshotFileName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(name) && !name.includes("..");
}
