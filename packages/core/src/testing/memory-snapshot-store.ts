import { createHash, type Hash } from "node:crypto";
import type { OpenOptions, SnapshotDraft, SnapshotReception, SnapshotStore, SnapshotWriter } from "../contracts/index.js";
import type { LocatedSnapshot } from "../contracts/snapshot-store.js";
import { parseSnapshotMeta } from "../contracts/schemas.js";
import { isSnapshotId } from "../contracts/snapshot-manifest.js";
import { RaftError, type SnapshotFile, type SnapshotMeta } from "../engine/index.js";
import {
  alreadyHeld,
  buildMeta,
  checkAppend,
  checkDraft,
  checkKeep,
  checkNewFile,
  checkWriter,
  fileOf,
  mismatch,
  newestFirst,
  openOptions,
  PinCounts,
  type WriterState,
} from "../contracts/snapshot-store-rules.js";

import { MemoryBucket, parseMemLocation, type Stored } from "./memory-bucket.js";

export interface MemorySnapshotStoreOptions {
  /** Clock for `createdAt`. Default `Date.now`; the simulator passes its own for replayable runs. */
  now?: () => number;
  /**
   * Keep committed snapshots in this shared bucket (under `prefix`) instead
   * of privately, which makes the store locatable: `locate`, `canRead` and
   * `openLocated` work as an S3 store's do. Stores on one bucket and prefix
   * see each other's snapshots (like nodes sharing an S3 prefix); under
   * another prefix, a follower reads the leader's snapshot from its location.
   */
  bucket?: MemoryBucket;
  /** Where in `bucket` this store's snapshots live. Default "". */
  prefix?: string;
}

/** A file being received: the bytes written so far, of which the first `durable` survive a crash. */
interface Incoming {
  chunks: Uint8Array[];
  length: number;
  durable: number;
}

interface Reception {
  readonly index: number;
  readonly files: Map<string, Incoming>;
  /** The one writer allowed to add to it; a newer `receive()` takes over. */
  owner: object | undefined;
}

/**
 * A `SnapshotStore` in memory, for tests and the simulator. It models a disk:
 * `crash()` loses what was not flushed and every open writer, and a committed
 * snapshot survives it. Deterministic: no timers, no randomness, and
 * `createdAt` comes from the injected `now`.
 */
export class MemorySnapshotStore implements SnapshotStore {
  private readonly now: () => number;
  private readonly bucket: MemoryBucket | undefined;
  private readonly prefix: string;
  private readonly committed: Map<string, Stored>;
  private readonly receptions = new Map<string, Reception>();
  private readonly pins = new PinCounts();
  /** Writers still allowed to act; `crash()` and `close()` empty it, so the rest reject with `Aborted`. */
  private readonly live = new Set<object>();
  private closed = false;

  constructor(options: MemorySnapshotStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? "";
    this.committed = this.bucket?.snapshotsUnder(this.prefix) ?? new Map();
  }

  /** A bucket to share between stores (see `MemorySnapshotStoreOptions.bucket`). */
  static bucket(name?: string): MemoryBucket {
    return new MemoryBucket(name);
  }

  async create(draft: SnapshotDraft): Promise<SnapshotWriter> {
    this.checkOpen();
    draft = checkDraft(draft);
    const token = {};
    this.live.add(token);
    const files: SnapshotFile[] = [];
    const data = new Map<string, Uint8Array>();
    let current: { name: string; chunks: Uint8Array[]; size: number; hash: Hash } | undefined;
    let state: WriterState = "open";
    const check = () => checkWriter(state, !this.live.has(token));
    const closeFile = () => {
      if (current === undefined) return;
      files.push({ name: current.name, size: current.size, sha256: current.hash.digest("hex") });
      data.set(current.name, concat(current.chunks, current.size));
      current = undefined;
    };
    return {
      write: async (file, chunk) => {
        check();
        if (current?.name !== file) {
          checkNewFile(file, data.has(file), files.length);
          closeFile();
          current = { name: file, chunks: [], size: 0, hash: createHash("sha256") };
        }
        current.chunks.push(chunk.slice());
        current.size += chunk.length;
        current.hash.update(chunk);
      },
      flush: async () => check(),
      commit: async () => {
        check();
        closeFile();
        state = "committed";
        this.live.delete(token);
        return this.publish(buildMeta(draft, files, this.now()), data);
      },
      abort: async () => {
        if (state === "aborted") return;
        check();
        state = "aborted";
        this.live.delete(token);
      },
    };
  }

  async receive(input: SnapshotMeta): Promise<SnapshotReception> {
    this.checkOpen();
    const meta = parseSnapshotMeta(input, "received snapshot manifest");
    const stored = this.committed.get(meta.id);
    if (stored !== undefined) return alreadyHeld(stored.meta);
    let r = this.receptions.get(meta.id);
    if (r === undefined) {
      r = { index: meta.index, files: new Map(meta.files.map((f) => [f.name, { chunks: [], length: 0, durable: 0 }])), owner: undefined };
      this.receptions.set(meta.id, r);
    }
    // A newer receive() takes over: the old writer is done, and what it did not flush is lost, as after a crash.
    if (r.owner !== undefined) this.live.delete(r.owner);
    for (const f of r.files.values()) truncate(f, f.durable);
    this.takeLocal(meta, r);
    const token = {};
    r.owner = token;
    this.live.add(token);
    return { writer: this.receptionWriter(meta, r, token), progress: new Map(meta.files.map((f) => [f.name, r.files.get(f.name)?.length ?? 0])) };
  }

  async latest(): Promise<SnapshotMeta | undefined> {
    return (await this.list())[0];
  }

  async list(): Promise<SnapshotMeta[]> {
    this.checkOpen();
    return [...this.committed.values()].map((s) => s.meta).sort(newestFirst);
  }

  async get(id: string): Promise<SnapshotMeta> {
    this.checkOpen();
    return this.stored(id).meta;
  }

  async *open(id: string, file: string, options: OpenOptions = {}): AsyncGenerator<Uint8Array> {
    const { offset, chunkSize } = openOptions(options);
    this.checkOpen();
    const bytes = this.stored(id).data.get(file);
    if (bytes === undefined) throw new RaftError("NotFound", `snapshot ${id} has no file ${file}`);
    if (offset > bytes.length) throw new RaftError("InvalidConfig", `offset ${offset} is past the end of ${file} (${bytes.length} bytes)`);
    const unpin = this.pin(id);
    try {
      for (let pos = offset; pos < bytes.length; pos += chunkSize) yield bytes.slice(pos, pos + chunkSize);
    } finally {
      unpin();
    }
  }

  async verify(id: string): Promise<void> {
    this.checkOpen();
    const { meta, data } = this.stored(id);
    for (const f of meta.files) {
      const bytes = data.get(f.name);
      const problem = bytes === undefined ? "is missing" : mismatch(f, bytes.length, sha256(bytes));
      if (problem !== undefined) throw new RaftError("Corrupt", `snapshot ${id}: file ${f.name} ${problem}`);
    }
  }

  /** Makes a snapshot visible; one with the same id (same content) is already there and stays. */
  private publish(meta: SnapshotMeta, data: ReadonlyMap<string, Uint8Array>): SnapshotMeta {
    const existing = this.committed.get(meta.id);
    if (existing !== undefined) return existing.meta;
    this.committed.set(meta.id, { meta, data });
    return meta;
  }

  pin(id: string): () => void {
    return this.pins.pin(id);
  }

  async prune(keep: number): Promise<string[]> {
    this.checkOpen();
    checkKeep(keep);
    const sorted = await this.list();
    const removed: string[] = [];
    for (const m of sorted.slice(Math.max(1, keep))) {
      if (this.pins.has(m.id)) continue;
      this.committed.delete(m.id);
      removed.push(m.id);
    }
    const newest = sorted[0]?.index;
    for (const [id, r] of this.receptions) {
      if (newest === undefined || r.index > newest || this.pins.has(id)) continue;
      this.receptions.delete(id);
      if (r.owner !== undefined) this.live.delete(r.owner);
      removed.push(id);
    }
    return removed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.live.clear();
  }

  /** `mem://<bucket>/<id>?prefix=<prefix>` for a committed snapshot; `undefined` without a bucket or for an unknown id. */
  async locate(id: string): Promise<string | undefined> {
    this.checkOpen();
    if (this.bucket === undefined || !isSnapshotId(id) || !this.committed.has(id)) return undefined;
    return `mem://${this.bucket.name}/${id}?${new URLSearchParams({ prefix: this.prefix }).toString()}`;
  }

  /** True for a `locate()` URL of a store on the same bucket (any prefix). */
  canRead(location: string): boolean {
    return this.bucket !== undefined && parseMemLocation(location)?.bucket === this.bucket.name;
  }

  /** The snapshot at a `locate()` URL, read from the shared bucket; faults of the bucket apply. */
  async openLocated(location: string): Promise<LocatedSnapshot> {
    this.checkOpen();
    const l = parseMemLocation(location);
    const bucket = this.bucket;
    if (bucket === undefined || l === undefined || l.bucket !== bucket.name) throw new RaftError("InvalidConfig", `this store cannot read ${location}`);
    bucket.serve(0, location);
    const stored = bucket.snapshotsUnder(l.prefix).get(l.id);
    if (stored === undefined) throw new RaftError("NotFound", `no snapshot at ${location}`);
    return {
      meta: stored.meta,
      open: (file, options = {}) => {
        const { offset, chunkSize } = openOptions(options);
        return (async function* () {
          // The bucket as it is now: a snapshot pruned meanwhile is gone, a damaged file is read damaged.
          const bytes = bucket.snapshotsUnder(l.prefix).get(l.id)?.data.get(file);
          if (bytes === undefined) throw new RaftError("NotFound", `no file ${file} at ${location}`);
          if (offset > bytes.length) throw new RaftError("InvalidConfig", `offset ${offset} is past the end of ${file} (${bytes.length} bytes)`);
          for (let pos = offset; pos < bytes.length; pos += chunkSize) {
            const chunk = bytes.slice(pos, pos + chunkSize);
            bucket.serve(chunk.length, location);
            yield chunk;
          }
        })();
      },
    };
  }

  /** Test hook: flips the first byte of a committed file (an empty file gains a byte), so `verify()` must fail. */
  corrupt(id: string, file: string): void {
    const { meta, data } = this.stored(id);
    const bytes = data.get(file);
    if (bytes === undefined) throw new RaftError("NotFound", `snapshot ${id} has no file ${file}`);
    // Copy on write: received snapshots share identical files with the ones they were taken from.
    const damaged = bytes.length === 0 ? new Uint8Array(1) : bytes.slice();
    damaged[0] = (damaged[0] ?? 0) ^ 0xff;
    this.committed.set(id, { meta, data: new Map(data).set(file, damaged) });
  }

  /** Simulates a power cut and restart: receptions keep only flushed bytes, and every open writer rejects from now on with `Aborted`. */
  crash(): void {
    this.live.clear();
    for (const r of this.receptions.values()) {
      r.owner = undefined;
      for (const f of r.files.values()) truncate(f, f.durable);
    }
  }

  private receptionWriter(meta: SnapshotMeta, r: Reception, token: object): SnapshotWriter {
    let state: WriterState = "open";
    const check = () => checkWriter(state, !(this.live.has(token) && r.owner === token && this.receptions.get(meta.id) === r));
    const discard = () => {
      this.receptions.delete(meta.id);
      this.live.delete(token);
      state = "aborted";
    };
    return {
      write: async (file, chunk) => {
        check();
        const spec = fileOf(meta, file);
        const f = r.files.get(file) as Incoming;
        checkAppend(spec, f.length, chunk.length);
        f.chunks.push(chunk.slice());
        f.length += chunk.length;
      },
      flush: async () => {
        check();
        for (const f of r.files.values()) f.durable = f.length;
      },
      commit: async () => {
        check();
        const data = new Map<string, Uint8Array>();
        for (const spec of meta.files) {
          const f = r.files.get(spec.name) as Incoming;
          const bytes = concat(f.chunks, f.length);
          const problem = mismatch(spec, bytes.length, sha256(bytes));
          if (problem !== undefined) {
            discard();
            throw new RaftError("Corrupt", `received snapshot ${meta.id}: file ${spec.name} ${problem}; the partial data was discarded`);
          }
          data.set(spec.name, bytes);
        }
        discard();
        state = "committed";
        return this.publish(meta, data);
      },
      abort: async () => {
        if (state === "aborted") return;
        check();
        discard();
      },
    };
  }

  /** Files this store already holds under the same name, size and checksum need not travel. */
  private takeLocal(meta: SnapshotMeta, r: Reception): void {
    for (const spec of meta.files) {
      const f = r.files.get(spec.name) as Incoming;
      if (f.length === spec.size) continue;
      for (const s of this.committed.values()) {
        const held = s.meta.files.find((g) => g.name === spec.name && g.size === spec.size && g.sha256 === spec.sha256);
        const bytes = held === undefined ? undefined : s.data.get(spec.name);
        if (bytes === undefined) continue;
        f.chunks = [bytes];
        f.length = f.durable = spec.size;
        break;
      }
    }
  }

  private stored(id: string): Stored {
    const s = isSnapshotId(id) ? this.committed.get(id) : undefined;
    if (s === undefined) throw new RaftError("NotFound", `no snapshot ${JSON.stringify(id)}`);
    return s;
  }

  private checkOpen(): void {
    if (this.closed) throw new RaftError("StorageFailure", "the memory snapshot store is closed");
  }
}

function truncate(f: Incoming, n: number): void {
  if (f.length <= n) return;
  f.chunks = n === 0 ? [] : [concat(f.chunks, f.length).slice(0, n)];
  f.length = n;
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]?.length === size) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
