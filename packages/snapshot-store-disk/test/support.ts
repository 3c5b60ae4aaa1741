import { createHash } from "node:crypto";
import { mkdtemp, open, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Index, manifestDigest, NodeId, snapshotId, Term, type Logger, type SnapshotMeta, type SnapshotStore } from "@raft/core/contracts";

export const membership = { voters: [1, 2, 3].map(NodeId.of), learners: [] };
export const draft = (index: number, term = 1) => ({ index: Index.of(index), term: Term.of(term), membership });

export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "raft-snapshots-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return out;
}

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The manifest a peer would send for these files. */
export function manifest(index: number, term: number, files: Record<string, Uint8Array>): SnapshotMeta {
  const list = Object.entries(files).map(([name, b]) => ({ name, size: b.length, sha256: sha256(b) }));
  const digest = manifestDigest(list);
  return { id: snapshotId(index, term, digest), index: Index.of(index), term: Term.of(term), membership, files: list, size: list.reduce((n, f) => n + f.size, 0), sha256: digest, createdAt: 1 };
}

export async function take(store: SnapshotStore, index: number, files: Record<string, Uint8Array>): Promise<SnapshotMeta> {
  const w = await store.create(draft(index));
  for (const [name, b] of Object.entries(files)) await w.write(name, b);
  return w.commit();
}

export async function readAll(store: SnapshotStore, id: string, file: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of store.open(id, file)) parts.push(c);
  return Buffer.concat(parts);
}

/** Flips the first byte in place (an empty file gains one), as bit rot would. */
export async function flipByte(path: string): Promise<void> {
  const fh = await open(path, "r+");
  try {
    const b = new Uint8Array(1);
    const { bytesRead } = await fh.read(b, 0, 1, 0);
    b[0] = bytesRead === 0 ? 0 : (b[0] ?? 0) ^ 0xff;
    await fh.write(b, 0, 1, 0);
  } finally {
    await fh.close();
  }
}

export async function entries(path: string): Promise<string[]> {
  return readdir(path).catch(() => []);
}

export async function codeOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => "resolved",
    (e: { code?: unknown }) => e.code,
  );
}

export function enospc(path: string): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: "ENOSPC" });
}

/** A logger that keeps its warnings. */
export function recordingLogger(): Logger & { warnings: { message: string; fields: Record<string, unknown> | undefined }[] } {
  const warnings: { message: string; fields: Record<string, unknown> | undefined }[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (message, fields) => void warnings.push({ message, fields }) };
}
