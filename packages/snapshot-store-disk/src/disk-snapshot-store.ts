import { randomUUID } from "node:crypto";
import { mkdir, open, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  RaftError,
  isSnapshotFileName,
  isSnapshotId,
  parseSnapshotMeta,
  type OpenOptions,
  type SnapshotDraft,
  type SnapshotMeta,
  type SnapshotReception,
  type SnapshotStore,
  type SnapshotWriter,
} from "@raft/core/contracts";
import { openDirect } from "./direct-io.js";
import { io, storageError } from "./errors.js";
import { FileChunks } from "./file-chunks.js";
import { fsyncDir, removeTree } from "./fs-util.js";
import { HashThread } from "./hash-thread.js";
import type { Host, StoppableWriter } from "./host.js";
import { FILES, Layout } from "./layout.js";
import { LocalWriter } from "./local-writer.js";
import { resolveOptions, type DiskSnapshotStoreOptions } from "./options.js";
import { loadReception } from "./reception-state.js";
import { ReceptionWriter } from "./reception-writer.js";
import { recover } from "./recovery.js";
import { snapshotStoreRules } from "@raft/core/contracts";
const { alreadyHeld, checkDraft, checkKeep, mismatch, newestFirst, openOptions, PinCounts } = snapshotStoreRules;
import { Serial } from "./serial.js";

/**
 * A `SnapshotStore` in a local directory. A snapshot is published by one
 * directory rename after its files and manifest are fsynced, so it is either
 * wholly there or not at all; a received one resumes from its last `flush()`
 * after a crash. See the package README for the layout and guarantees.
 */
export class DiskSnapshotStore implements SnapshotStore {
  /** The store's directory, resolved. */
  readonly dir: string;
  private readonly host: Host;
  private readonly committed = new Map<string, SnapshotMeta>();
  /** Receptions on disk (id → index), whether or not a writer is attached. */
  private readonly partials = new Map<string, number>();
  private readonly receptions = new Map<string, ReceptionWriter>();
  private readonly writers = new Set<StoppableWriter>();
  private readonly pins = new PinCounts();
  /** Orders changes to `snapshots/` (publish, prune). */
  private readonly lock = new Serial();
  /** Orders receive() and prune(), which start, stop and remove receptions. */
  private readonly receiving = new Serial();
  private closed = false;

  private constructor(input: DiskSnapshotStoreOptions) {
    const options = resolveOptions(input);
    const layout = new Layout(options.dir);
    this.dir = layout.root;
    this.host = {
      layout,
      fsync: options.fsync,
      directIo: options.directIo,
      faults: options.faults ?? {},
      logger: options.logger,
      now: options.now ?? Date.now,
      hasher: new HashThread(options.logger),
      publish: (from, meta) => this.publish(from, meta),
      finished: (writer, dropped) => {
        this.writers.delete(writer);
        if (writer instanceof ReceptionWriter && this.receptions.get(writer.meta.id) === writer) this.receptions.delete(writer.meta.id);
        if (dropped !== undefined) this.partials.delete(dropped);
      },
    };
  }

  /** Opens (creating if needed) the store in `options.dir`, cleaning up after any crash. */
  static async open(options: DiskSnapshotStoreOptions): Promise<DiskSnapshotStore> {
    const store = new DiskSnapshotStore(options);
    const found = await recover(store.host).catch(async (e: unknown) => {
      await store.host.hasher.close();
      throw e;
    });
    for (const [id, meta] of found.committed) store.committed.set(id, meta);
    for (const [id, index] of found.receptions) store.partials.set(id, index);
    return store;
  }

  async create(draft: SnapshotDraft): Promise<SnapshotWriter> {
    this.checkOpen();
    const checked = checkDraft(draft);
    const dir = join(this.host.layout.tmp, randomUUID());
    await io("create", dir, () => mkdir(join(dir, FILES), { recursive: true }));
    const writer = new LocalWriter(this.host, checked, dir);
    this.writers.add(writer);
    return writer;
  }

  async receive(input: SnapshotMeta): Promise<SnapshotReception> {
    this.checkOpen();
    const meta = parseSnapshotMeta(input, "received snapshot manifest");
    return this.receiving.run(async () => {
      this.checkOpen();
      // A newer receive() takes over; what the old writer did not flush is cut off below.
      await this.receptions.get(meta.id)?.stop();
      const held = this.committed.get(meta.id);
      if (held !== undefined) return alreadyHeld(held);
      this.partials.set(meta.id, meta.index);
      const files = await loadReception(this.host, meta, this.committed.values());
      const writer = new ReceptionWriter(this.host, meta, files);
      this.receptions.set(meta.id, writer);
      this.writers.add(writer);
      return { writer, progress: new Map(meta.files.map((f) => [f.name, files.get(f.name)?.length ?? 0])) };
    });
  }

  async latest(): Promise<SnapshotMeta | undefined> {
    return (await this.list())[0];
  }

  async list(): Promise<SnapshotMeta[]> {
    this.checkOpen();
    return [...this.committed.values()].sort(newestFirst);
  }

  async get(id: string): Promise<SnapshotMeta> {
    this.checkOpen();
    return this.meta(id);
  }

  async *open(id: string, file: string, options: OpenOptions = {}): AsyncGenerator<Uint8Array> {
    const { offset, chunkSize, reuseBuffers } = openOptions(options);
    this.checkOpen();
    const spec = isSnapshotFileName(file) ? this.meta(id).files.find((f) => f.name === file) : undefined;
    if (spec === undefined) throw new RaftError("NotFound", `snapshot ${id} has no file ${JSON.stringify(file)}`);
    if (offset > spec.size) throw new RaftError("InvalidConfig", `offset ${offset} is past the end of ${file} (${spec.size} bytes)`);
    const unpin = this.pin(id);
    try {
      const path = this.host.layout.snapshotFile(id, file);
      const fh = await io("open", path, () => open(path, "r"), "Corrupt");
      // Streamed to a peer or a restore: read once, and (written directly) not in the page cache.
      const direct = reuseBuffers && this.host.directIo ? await openDirect(path, "read").catch(() => undefined) : undefined;
      const chunks = new FileChunks(fh, path, spec.size, chunkSize, direct);
      try {
        if (reuseBuffers) yield* chunks.reusing(offset);
        else yield* chunks.fresh(offset);
      } finally {
        await chunks.close();
      }
    } finally {
      unpin();
    }
  }

  async verify(id: string): Promise<void> {
    this.checkOpen();
    const meta = this.meta(id);
    const unpin = this.pin(id);
    try {
      for (const f of meta.files) {
        const path = this.host.layout.snapshotFile(id, f.name);
        const { sha256, size } = await io("verify", path, () => this.host.hasher.hashFile(path, { direct: this.host.directIo }), "Corrupt");
        const problem = mismatch(f, size, sha256);
        if (problem !== undefined) throw new RaftError("Corrupt", `snapshot ${id}: file ${f.name} ${problem} (${path})`);
      }
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
          // Forget it first, so no new reader can pin it, then move it out of sight in one rename.
          this.committed.delete(meta.id);
          await this.discardDir(this.host.layout.snapshot(meta.id));
          removed.push(meta.id);
        }
        for (const id of stale) {
          this.partials.delete(id);
          await this.discardDir(this.host.layout.reception(id));
          removed.push(id);
        }
        return removed;
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.writers].map((w) => w.stop()));
    await this.receiving.run(async () => {});
    await this.lock.run(async () => {});
    await this.host.hasher.close();
  }

  private async publish(from: string, meta: SnapshotMeta): Promise<{ meta: SnapshotMeta; published: boolean }> {
    return this.lock.run(async () => {
      this.checkOpen();
      const held = this.committed.get(meta.id);
      if (held !== undefined) return { meta: held, published: false };
      const { layout, faults, fsync } = this.host;
      const to = layout.snapshot(meta.id);
      await io("publish", to, async () => {
        await faults.beforeRename?.(from, to);
        await rename(from, to);
      });
      try {
        await faults.afterRename?.(from, to);
        await fsyncDir(layout.snapshots, fsync);
        await fsyncDir(dirname(from), fsync);
      } catch (e) {
        // Not known durable: take it back, so a failed commit leaves nothing new visible.
        await rename(to, from).catch(() => removeTree(to).catch(() => {}));
        throw storageError(e, "publish", to);
      }
      this.committed.set(meta.id, meta);
      return { meta, published: true };
    });
  }

  /** Renames a directory into `tmp/` (it disappears at once), then removes it; `tmp/` leftovers go on the next open. */
  private async discardDir(path: string): Promise<void> {
    const trash = join(this.host.layout.tmp, `removed-${randomUUID()}`);
    await io("remove", path, () => rename(path, trash), "NotFound");
    await removeTree(trash).catch(() => {});
  }

  private meta(id: string): SnapshotMeta {
    const meta = isSnapshotId(id) ? this.committed.get(id) : undefined;
    if (meta === undefined) throw new RaftError("NotFound", `no snapshot ${JSON.stringify(id)}`);
    return meta;
  }

  private checkOpen(): void {
    if (this.closed) throw new RaftError("StorageFailure", `the snapshot store in ${this.dir} is closed`);
  }
}
