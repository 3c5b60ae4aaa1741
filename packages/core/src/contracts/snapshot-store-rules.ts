import { RaftError, type SnapshotFile, type SnapshotMeta } from "../engine/index.js";
import { indexSchema, membershipSchema, termSchema } from "./schemas.js";
import { isSnapshotFileName, manifestDigest, snapshotId } from "./snapshot-manifest.js";
import type { OpenOptions, SnapshotDraft, SnapshotReception, SnapshotWriter } from "./snapshot-store.js";

// The SnapshotStore port's rules that need no storage: argument checks,
// manifests, ordering, pins. Every store shares them, so they behave alike.

const MiB = 1 << 20;
/** The manifest schema's limit: a snapshot with more files could not be read back. */
const maxFiles = 10_000;

export type WriterState = "open" | "committed" | "aborted";

/** A finished writer rejects every call: `InvalidConfig` once committed, `Aborted` once aborted or killed. */
export function checkWriter(state: WriterState, killed: boolean): void {
  if (state === "committed") throw new RaftError("InvalidConfig", "the snapshot writer has already committed");
  if (state === "aborted" || killed) throw new RaftError("Aborted", "the snapshot writer was aborted (abort, close, crash, a failed commit, prune, or a newer receive)");
}

/** Validates a draft and copies it, so a caller changing its object later cannot change the snapshot. */
export function checkDraft(draft: SnapshotDraft): SnapshotDraft {
  const index = indexSchema.safeParse(draft.index);
  const term = termSchema.safeParse(draft.term);
  const membership = membershipSchema.safeParse(draft.membership);
  if (!index.success || !term.success || !membership.success) {
    throw new RaftError("InvalidConfig", "a snapshot draft needs a non-negative integer index and term and a valid membership");
  }
  return { index: index.data, term: term.data, membership: membership.data };
}

export function checkNewFile(name: string, closed: boolean, count: number): void {
  if (!isSnapshotFileName(name)) throw new RaftError("InvalidConfig", `not a snapshot file name: ${JSON.stringify(name)}`);
  if (closed) throw new RaftError("InvalidConfig", `file ${name} was already written and closed`);
  if (count >= maxFiles) throw new RaftError("InvalidConfig", `a snapshot holds at most ${maxFiles} files`);
}

export function fileOf(meta: SnapshotMeta, name: string): SnapshotFile {
  const spec = isSnapshotFileName(name) ? meta.files.find((f) => f.name === name) : undefined;
  if (spec === undefined) throw new RaftError("InvalidConfig", `snapshot ${meta.id} has no file ${JSON.stringify(name)}`);
  return spec;
}

export function checkAppend(spec: SnapshotFile, length: number, more: number): void {
  if (length === spec.size) throw new RaftError("Corrupt", `file ${spec.name} is already complete (${spec.size} bytes)`);
  if (length + more > spec.size) throw new RaftError("Corrupt", `file ${spec.name} would grow to ${length + more} bytes, past its ${spec.size}`);
}

export function mismatch(spec: SnapshotFile, size: number, sha: string): string | undefined {
  if (size !== spec.size) return `has ${size} bytes, expected ${spec.size}`;
  if (sha !== spec.sha256) return `has SHA-256 ${sha}, expected ${spec.sha256}`;
  return undefined;
}

export function buildMeta(draft: SnapshotDraft, files: SnapshotFile[], createdAt: number): SnapshotMeta {
  const sha = manifestDigest(files);
  const m = draft.membership;
  const membership = {
    voters: [...m.voters],
    learners: [...m.learners],
    ...(m.outgoing !== undefined && m.outgoing.length > 0 ? { outgoing: [...m.outgoing] } : {}),
    ...(m.addresses !== undefined ? { addresses: { ...m.addresses } } : {}),
  };
  const size = files.reduce((n, f) => n + f.size, 0);
  return { id: snapshotId(draft.index, draft.term, sha), index: draft.index, term: draft.term, membership, files, size, sha256: sha, createdAt };
}

/** The answer to `receive()` of a snapshot already committed here: nothing to write, `commit()` returns it. */
export function alreadyHeld(meta: SnapshotMeta): SnapshotReception {
  const writer: SnapshotWriter = {
    write: async (file, chunk) => {
      const spec = fileOf(meta, file);
      checkAppend(spec, spec.size, chunk.length);
    },
    flush: async () => {},
    commit: async () => meta,
    abort: async () => {},
  };
  return { writer, progress: new Map(meta.files.map((f) => [f.name, f.size])) };
}

export function openOptions(options: OpenOptions): { offset: number; chunkSize: number; reuseBuffers: boolean } {
  const { offset = 0, chunkSize = MiB, reuseBuffers = false } = options;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RaftError("InvalidConfig", `offset must be a non-negative integer, not ${offset}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RaftError("InvalidConfig", `chunkSize must be a positive integer, not ${chunkSize}`);
  return { offset, chunkSize, reuseBuffers };
}

export function checkKeep(keep: number): void {
  if (!Number.isSafeInteger(keep) || keep < 0) throw new RaftError("InvalidConfig", `keep must be a non-negative integer, not ${keep}`);
}

/** Highest index first, then highest term, then highest id: the order every store shares. */
export function newestFirst(a: SnapshotMeta, b: SnapshotMeta): number {
  return b.index - a.index || b.term - a.term || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** Reference counts of pinned snapshots: pinned ones are never pruned. */
export class PinCounts {
  private readonly counts = new Map<string, number>();

  pin(id: string): () => void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    let pinned = true;
    return () => {
      if (!pinned) return;
      pinned = false;
      const n = (this.counts.get(id) ?? 1) - 1;
      if (n === 0) this.counts.delete(id);
      else this.counts.set(id, n);
    };
  }

  has(id: string): boolean {
    return this.counts.has(id);
  }
}
