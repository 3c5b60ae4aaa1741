import { createHash } from "node:crypto";
import { expect } from "vitest";
import type { OpenOptions, SnapshotDraft, SnapshotStore, SnapshotWriter } from "../contracts/index.js";
import { manifestDigest, snapshotId } from "../contracts/snapshot-manifest.js";
import { Index, isRaftError, NodeId, Term, type SnapshotMeta } from "../engine/index.js";

// Fixtures of the SnapshotStore contract suite: snapshot contents, manifests as a peer sends them, and reads.

/** A store under test; `reopen` closes it and opens a new one over the same data. */
export interface Session {
  store: SnapshotStore;
  reopen(): Promise<SnapshotStore>;
}

/** Runs a test on a fresh store, closing and disposing of everything after it. */
export type WithStore = (fn: (s: Session) => Promise<void>) => Promise<void>;

export type Files = readonly (readonly [name: string, bytes: Uint8Array])[];

export const membership = { voters: [1, 2, 3].map(NodeId.of), learners: [NodeId.of(4)] };
export const draft = (index: number, term = 1): SnapshotDraft => ({ index: Index.of(index), term: Term.of(term), membership });

/** Deterministic, non-repeating bytes, so a misplaced chunk changes the checksum. */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function chunks(b: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

/** The manifest a peer would send for these files. */
export function manifest(index: number, term: number, files: Files): SnapshotMeta {
  const list = files.map(([name, b]) => ({ name, size: b.length, sha256: sha256(b) }));
  const digest = manifestDigest(list);
  const size = list.reduce((n, f) => n + f.size, 0);
  return { id: snapshotId(index, term, digest), index: Index.of(index), term: Term.of(term), membership, files: list, size, sha256: digest, createdAt: 1_700_000_000_000 };
}

/** Writes a new snapshot's files; an empty chunk declares an empty file. */
export async function writeNew(w: SnapshotWriter, files: Files, chunkSize: number): Promise<void> {
  for (const [name, b] of files) for (const c of b.length === 0 ? [b] : chunks(b, chunkSize)) await w.write(name, c);
}

/** Writes what a reception still lacks, from each file's reported progress on. */
export async function writeRest(w: SnapshotWriter, files: Files, chunkSize: number, progress: ReadonlyMap<string, number> = new Map()): Promise<void> {
  for (const [name, b] of files) for (const c of chunks(b.subarray(progress.get(name) ?? 0), chunkSize)) await w.write(name, c);
}

export async function take(store: SnapshotStore, d: SnapshotDraft, files: Files, chunkSize = 1000): Promise<SnapshotMeta> {
  const w = await store.create(d);
  await writeNew(w, files, chunkSize);
  return w.commit();
}

export async function read(store: SnapshotStore, id: string, file: string, options?: OpenOptions): Promise<{ bytes: Uint8Array; sizes: number[] }> {
  const parts: Uint8Array[] = [];
  for await (const c of store.open(id, file, options)) parts.push(new Uint8Array(c));
  const out = new Uint8Array(parts.reduce((n, c) => n + c.length, 0));
  parts.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return { bytes: out, sizes: parts.map((c) => c.length) };
}

export async function rejection(p: Promise<unknown>, code: string): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isRaftError(e) ? e.code : e).toBe(code);
  return e as Error;
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The contents most cases use: two files of distinct bytes and an empty one. */
export const A = bytes(2500, 1);
export const B = bytes(700, 2);
export const files: Files = [
  ["state.bin", A],
  ["index.json", B],
  ["empty", new Uint8Array(0)],
];
