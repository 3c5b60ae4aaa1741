import {
  RaftError,
  isRaftError,
  isSnapshotFileName,
  parseSnapshotMeta,
  silentLogger,
  snapshotStoreRules,
  type OpenOptions,
  type SnapshotDraft,
  type SnapshotMeta,
  type SnapshotReception,
  type SnapshotStore,
  type SnapshotWriter,
} from "@raft/core/contracts";
import { parseOptions, type ResolvedConfig, type S3SnapshotStoreOptions } from "./config.js";
import type { Host, StoppableWriter } from "./host.js";
import { Layout, newToken } from "./layout.js";
import { LocalWriter } from "./local-writer.js";
import { formatLocation, parseLocation, sameService, type S3Location } from "./location.js";
import { ManifestCatalog } from "./manifest-catalog.js";
import { encodeManifest, type ObjectRef, type StoredManifest } from "./manifest-object.js";
import { hashObject, readRange } from "./reader.js";
import { decodeRecord, emptyFile, length, resume, type ReceptionRecord, type Received } from "./reception-state.js";
import { ReceptionWriter } from "./reception-writer.js";
import { S3Access } from "./s3.js";
import { Serial } from "./serial.js";
const { alreadyHeld, checkDraft, checkKeep, mismatch, openOptions, PinCounts } = snapshotStoreRules;

/**
 * A snapshot reached through a `locate()` URL: its manifest, and ranged reads
 * of its files. It is core's `LocatedSnapshot` (what `RaftNode` reads a
 * follower's install from) plus the parsed location and `verify()`.
 */
export interface LocatedSnapshot {
  readonly location: S3Location;
  /** The manifest, validated. */
  readonly meta: SnapshotMeta;
  /** Reads a file by ranged GETs from `offset`, `chunkSize` bytes per chunk; as `SnapshotStore.open`. */
  open(file: string, options?: OpenOptions): AsyncIterable<Uint8Array>;
  /** Re-reads every file and checks sizes and SHA-256; `Corrupt` on a mismatch. */
  verify(): Promise<void>;
}

/**
 * A `SnapshotStore` in an S3 bucket (or an S3-compatible service), under a
 * prefix per cluster. Files stream up as multipart uploads; the manifest,
 * written last, is the commit marker. Reads are ranged GETs, so a reader
 * resumes from any offset. See the package README for the layout and
 * guarantees.
 */
export class S3SnapshotStore implements SnapshotStore {
  readonly config: ResolvedConfig;
  private readonly host: Host;
  private readonly s3: S3Access;
  private readonly layout: Layout;
  /** The committed snapshots' manifests. */
  private readonly catalog: ManifestCatalog;
  /** Receptions with a record (id → index), whether or not a writer is attached. */
  private readonly partials = new Map<string, number>();
  private readonly receptions = new Map<string, ReceptionWriter>();
  private readonly writers = new Set<StoppableWriter>();
  private readonly pins = new PinCounts();
  /** Orders publishing, pruning and sweeping. */
  private readonly lock = new Serial();
  /** Orders receive() and prune(), which start, stop and remove receptions. */
  private readonly receiving = new Serial();
  private closed = false;

  private constructor(options: S3SnapshotStoreOptions) {
    const { config, logger = silentLogger, now = Date.now, credentials } = parseOptions(options);
    this.config = config;
    this.layout = new Layout(config.prefix, config.owner);
    this.s3 = new S3Access(config, logger, credentials);
    this.catalog = new ManifestCatalog(this.s3, this.layout, logger);
    this.host = {
      s3: this.s3,
      layout: this.layout,
      config,
      logger,
      now,
      publish: (meta, objects) => this.publish(meta, objects),
      discardToken: (token) => this.lock.run(() => this.discardToken(token)),
      finished: (writer, dropped) => {
        this.writers.delete(writer);
        if (writer instanceof ReceptionWriter && this.receptions.get(writer.meta.id) === writer) this.receptions.delete(writer.meta.id);
        if (dropped !== undefined) this.partials.delete(dropped);
      },
    };
  }

  /**
   * Opens the store: checks the bucket is reachable, then cleans up after any
   * crash of this owner (uploads aborted, objects no manifest or reception
   * names removed). `InvalidConfig` for bad options; a missing bucket is
   * `NotFound`, denied access `StorageFailure` (see `S3StoreError.reason`).
   */
  static async open(options: S3SnapshotStoreOptions): Promise<S3SnapshotStore> {
    const store = new S3SnapshotStore(options);
    try {
      await store.lock.run(() => store.sweep());
    } catch (e) {
      store.s3.close();
      throw e;
    }
    return store;
  }

  /** This store's URL for a snapshot (see `locate`), without checking it exists. */
  locationOf(id: string): string {
    const { bucket, prefix, endpoint, region } = this.config;
    return formatLocation({ bucket, prefix, id, endpoint, region });
  }

  /** True if this store's client reaches the bucket a `locate()` URL names (same endpoint, or AWS region, and bucket). */
  canRead(location: string): boolean {
    let l: S3Location;
    try {
      l = parseLocation(location);
    } catch {
      return false;
    }
    return l.bucket === this.config.bucket && sameService(l, this.config);
  }

  async create(draft: SnapshotDraft): Promise<SnapshotWriter> {
    this.checkOpen();
    const writer = new LocalWriter(this.host, checkDraft(draft));
    this.writers.add(writer);
    return writer;
  }

  async receive(input: SnapshotMeta): Promise<SnapshotReception> {
    this.checkOpen();
    const meta = parseSnapshotMeta(input, "received snapshot manifest");
    return this.receiving.run(async () => {
      this.checkOpen();
      // A newer receive() takes over; what the old writer did not flush is lost.
      await this.receptions.get(meta.id)?.stop();
      const held = await this.catalog.find(meta.id);
      if (held !== undefined) return alreadyHeld(held.meta);
      const recordKey = this.layout.reception(meta.id);
      const bytes = await this.s3.getBytes(recordKey);
      const record = bytes === undefined ? undefined : decodeRecord(this.host, bytes, meta.id, this.s3.url(recordKey));
      let token: string;
      let files: Map<string, Received>;
      let changed = true;
      const resumed = record === undefined ? undefined : await resume(this.host, record).catch((e: unknown) => this.restartAfter(e, record));
      if (record !== undefined && resumed !== undefined) {
        token = record.token;
        ({ files, changed } = resumed);
      } else {
        if (record !== undefined) await this.lock.run(() => this.discardToken(record.token));
        token = newToken();
        files = new Map(meta.files.map((spec) => [spec.name, emptyFile(spec, this.layout.file(token, spec.name))]));
      }
      if (await this.catalog.takeHeld(files)) changed = true;
      this.partials.set(meta.id, meta.index);
      const writer = new ReceptionWriter(this.host, meta, token, files);
      this.receptions.set(meta.id, writer);
      this.writers.add(writer);
      if (changed) await writer.flush();
      return { writer, progress: new Map(meta.files.map((f) => [f.name, length(files.get(f.name) as Received)])) };
    });
  }

  async latest(): Promise<SnapshotMeta | undefined> {
    return (await this.list())[0];
  }

  async list(): Promise<SnapshotMeta[]> {
    this.checkOpen();
    return (await this.catalog.list()).map((s) => s.meta);
  }

  async get(id: string): Promise<SnapshotMeta> {
    this.checkOpen();
    return (await this.catalog.stored(id)).meta;
  }

  async *open(id: string, file: string, options: OpenOptions = {}): AsyncGenerator<Uint8Array> {
    const { offset, chunkSize, reuseBuffers } = openOptions(options);
    this.checkOpen();
    const stored = await this.catalog.stored(id);
    const unpin = this.pin(id);
    try {
      yield* this.readFile(stored, this.layout.prefix, file, offset, chunkSize, reuseBuffers);
    } finally {
      unpin();
    }
  }

  async verify(id: string): Promise<void> {
    this.checkOpen();
    const stored = await this.catalog.stored(id);
    const unpin = this.pin(id);
    try {
      await this.verifyStored(stored, this.layout.prefix);
    } finally {
      unpin();
    }
  }

  pin(id: string): () => void {
    return this.pins.pin(id);
  }

  async prune(keep: number): Promise<string[]> {
    this.checkOpen();
    checkKeep(keep);
    return this.receiving.run(async () => {
      const newest = (await this.list())[0]?.index;
      const stale = newest === undefined ? [] : [...this.partials].filter(([id, index]) => index <= newest && !this.pins.has(id)).map(([id]) => id);
      for (const id of stale) await this.receptions.get(id)?.stop();
      return this.lock.run(async () => {
        const removed: string[] = [];
        for (const meta of (await this.list()).slice(Math.max(1, keep))) {
          if (this.pins.has(meta.id)) continue;
          // The manifest goes first: the snapshot is invisible at once, and its data is then unreferenced.
          await this.s3.delete([this.layout.manifest(meta.id)]);
          this.catalog.forget(meta.id);
          removed.push(meta.id);
        }
        for (const id of stale) {
          const key = this.layout.reception(id);
          const bytes = await this.s3.getBytes(key);
          const record = bytes === undefined ? undefined : decodeRecord(this.host, bytes, id, this.s3.url(key));
          await this.s3.delete([key]);
          if (record !== undefined) await this.discardToken(record.token);
          this.partials.delete(id);
          removed.push(id);
        }
        await this.sweep();
        return removed;
      });
    });
  }

  /** `s3://bucket/prefix/snapshots/<id>/manifest.json?region=…[&endpoint=…]` for a committed snapshot; `undefined` if there is none. */
  async locate(id: string): Promise<string | undefined> {
    this.checkOpen();
    try {
      await this.catalog.stored(id);
    } catch (e) {
      if (isRaftError(e, "NotFound")) return undefined;
      throw e;
    }
    return this.locationOf(id);
  }

  /**
   * Opens a snapshot another store located (`locate()`), in a bucket this
   * store can read (`canRead`), under any prefix: reads and validates its
   * manifest, and returns ranged reads of its files. `NotFound` if it is
   * gone (pruned), `InvalidConfig` if this store cannot read the location.
   * Nothing is pinned on the other side: a reader that gets `NotFound`
   * midway falls back to the leader.
   */
  async openLocated(location: string): Promise<LocatedSnapshot> {
    this.checkOpen();
    const l = parseLocation(location);
    if (!this.canRead(location)) throw new RaftError("InvalidConfig", `this store (bucket ${this.config.bucket}) cannot read ${location}`);
    const stored = await this.catalog.fetch(l.key, l.id);
    if (stored === undefined) throw new RaftError("NotFound", `no snapshot at ${location}`);
    return {
      location: l,
      meta: stored.meta,
      open: (file, options = {}) => {
        const { offset, chunkSize, reuseBuffers } = openOptions(options);
        return this.readFile(stored, l.prefix, file, offset, chunkSize, reuseBuffers);
      },
      verify: () => this.verifyStored(stored, l.prefix),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.writers].map((w) => w.stop()));
    await this.receiving.run(async () => {});
    await this.lock.run(async () => {});
    this.s3.close();
  }

  private async *readFile(stored: StoredManifest, prefix: string, file: string, offset: number, chunkSize: number, reuseBuffers: boolean): AsyncGenerator<Uint8Array> {
    const spec = isSnapshotFileName(file) ? stored.meta.files.find((f) => f.name === file) : undefined;
    const ref = spec === undefined ? undefined : stored.objects.get(spec.name);
    if (spec === undefined || ref === undefined) throw new RaftError("NotFound", `snapshot ${stored.meta.id} has no file ${JSON.stringify(file)}`);
    if (offset > spec.size) throw new RaftError("InvalidConfig", `offset ${offset} is past the end of ${file} (${spec.size} bytes)`);
    try {
      yield* readRange(this.s3, prefix + ref.key, spec.size, offset, chunkSize, reuseBuffers);
    } catch (e) {
      // The manifest names it, so a missing object is damage, not an unknown snapshot.
      if (isRaftError(e, "NotFound")) throw new RaftError("Corrupt", `snapshot ${stored.meta.id}: file ${spec.name} is missing (${this.s3.url(prefix + ref.key)})`, { cause: e });
      throw e;
    }
  }

  private async verifyStored(stored: StoredManifest, prefix: string): Promise<void> {
    for (const f of stored.meta.files) {
      const key = prefix + (stored.objects.get(f.name) as ObjectRef).key;
      const { size, sha256 } = await hashObject(this.s3, key, f.size);
      const problem = mismatch(f, size, sha256);
      if (problem !== undefined) throw new RaftError("Corrupt", `snapshot ${stored.meta.id}: file ${f.name} ${problem} (${this.s3.url(key)})`);
    }
  }

  private async publish(meta: SnapshotMeta, objects: ReadonlyMap<string, ObjectRef>): Promise<{ meta: SnapshotMeta; published: boolean }> {
    return this.lock.run(async () => {
      this.checkOpen();
      const held = await this.catalog.find(meta.id);
      if (held !== undefined) return { meta: held.meta, published: false };
      const stored: StoredManifest = { meta, objects };
      const { created } = await this.s3.put(this.layout.manifest(meta.id), encodeManifest(stored), { ifNoneMatch: true, contentType: "application/json" });
      if (!created) {
        // Another store committed the same id in between: equal content by construction.
        const theirs = await this.catalog.find(meta.id);
        if (theirs !== undefined) return { meta: theirs.meta, published: false };
        throw new RaftError("StorageFailure", `the manifest of ${meta.id} exists but cannot be read`);
      }
      this.catalog.remember(stored);
      return { meta, published: true };
    });
  }

  private async restartAfter(e: unknown, record: ReceptionRecord): Promise<undefined> {
    if (!isRaftError(e, "Corrupt")) throw e;
    this.host.logger.warn("snapshot store: a reception's record does not fit its manifest; it starts over", { id: record.meta.id, error: e.message });
    return undefined;
  }

  /** Deletes a writer's objects (all of them, or just its tails if a manifest names the token) and aborts its uploads. Under `lock`. */
  private async discardToken(token: string): Promise<void> {
    const referenced = await this.catalog.referencedTokens();
    const dir = this.layout.tokenDir(token);
    const keys: string[] = [];
    for await (const o of this.s3.list(dir)) if (!referenced.has(token) || o.key.startsWith(`${dir}.tail/`)) keys.push(o.key);
    await this.s3.delete(keys);
    for (const u of (await this.s3.uploads(dir)) ?? []) await this.s3.abortUpload(u.key, u.uploadId);
  }

  /**
   * Cleans up after crashes of this owner. Under `lock`. Live tokens are read
   * first, then records, then manifests, so a writer that commits meanwhile
   * is counted at least once. Removes: records of receptions already
   * committed; objects under `data/<owner>/` that no manifest, record or
   * live writer names; and multipart uploads no record or live writer owns.
   */
  private async sweep(): Promise<void> {
    const live = new Set([...this.writers].map((w) => w.token));
    const recorded = new Map<string, Set<string>>(); // token → upload ids its record names
    const liveReceptions = new Set(this.receptions.keys());
    const records: { id: string; key: string; record: ReceptionRecord | undefined }[] = [];
    for await (const o of this.s3.list(this.layout.receptions)) {
      const id = this.layout.idOfReception(o.key);
      if (id === undefined) continue;
      const bytes = liveReceptions.has(id) ? undefined : await this.s3.getBytes(o.key);
      records.push({ id, key: o.key, record: bytes === undefined ? undefined : decodeRecord(this.host, bytes, id, this.s3.url(o.key)) });
    }
    const referenced = await this.catalog.referencedTokens();
    const removed: string[] = [];
    for (const { id, key, record } of records) {
      if (liveReceptions.has(id)) continue;
      if (record === undefined || this.catalog.has(id)) {
        // Unreadable, or its snapshot was committed (a crash came between the manifest and the record's removal).
        removed.push(key);
        this.partials.delete(id);
        continue;
      }
      this.partials.set(id, record.meta.index);
      const ids = new Set<string>();
      for (const f of record.files.values()) if (f.kind === "parts" && f.uploadId !== undefined) ids.add(f.uploadId);
      recorded.set(record.token, ids);
    }
    if (removed.length > 0) await this.s3.delete(removed);

    const orphans: string[] = [];
    for await (const o of this.s3.list(this.layout.data)) {
      const token = this.layout.tokenOf(o.key);
      if (token === undefined || live.has(token) || recorded.has(token)) continue;
      if (!referenced.has(token) || o.key.startsWith(`${this.layout.tokenDir(token)}.tail/`)) orphans.push(o.key);
    }
    if (orphans.length > 0) await this.s3.delete(orphans);

    let aborted = 0;
    for (const u of (await this.s3.uploads(this.layout.data)) ?? []) {
      const token = this.layout.tokenOf(u.key);
      if (token !== undefined && live.has(token)) continue;
      if (token !== undefined && recorded.get(token)?.has(u.uploadId) === true) continue;
      if (await this.s3.abortUpload(u.key, u.uploadId)) aborted++;
    }
    if (orphans.length > 0 || aborted > 0 || removed.length > 0) {
      this.host.logger.info("snapshot store: cleaned up after an earlier crash or prune", {
        bucket: this.config.bucket,
        prefix: this.config.prefix,
        objects: orphans.length,
        uploads: aborted,
        records: removed.length,
      });
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new RaftError("StorageFailure", `the snapshot store at s3://${this.config.bucket}/${this.config.prefix} is closed`);
  }
}
