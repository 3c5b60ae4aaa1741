import { open, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { SnapshotMeta } from "@raft/core/contracts";
import { io } from "./errors.js";
import { fsyncDir, hashFile, removeTree, tempFile, writeFully, writeJsonAtomic } from "./fs-util.js";
import type { Host, StoppableWriter } from "./host.js";
import { FILES, MANIFEST, PROGRESS } from "./layout.js";
import { corruptReception, writeProgress, type Received } from "./reception-state.js";
import { snapshotStoreRules } from "@raft/core/contracts";
const { checkAppend, checkWriter, fileOf, mismatch } = snapshotStoreRules;
type WriterState = snapshotStoreRules.WriterState;
import { Serial } from "./serial.js";

/**
 * Writes a received snapshot into `partial/<id>/`. Each file is appended at
 * its own end; `flush()` fsyncs and records the lengths in `progress.json`,
 * which is where a later `receive()` resumes. `commit()` checks every file
 * against the manifest, then publishes the directory with one rename.
 */
export class ReceptionWriter implements StoppableWriter {
  private state: WriterState = "open";
  private stopped = false;
  private readonly serial = new Serial();
  /** One file handle at a time; switching files fsyncs and closes the previous one. */
  private handle: { file: Received; fh: FileHandle; dirty: boolean } | undefined;

  constructor(
    private readonly host: Host,
    readonly meta: SnapshotMeta,
    private readonly files: ReadonlyMap<string, Received>,
  ) {}

  write(file: string, chunk: Uint8Array): Promise<void> {
    return this.serial.run(async () => {
      this.check();
      const f = this.files.get(fileOf(this.meta, file).name) as Received;
      checkAppend(f.spec, f.length, chunk.length);
      if (chunk.length === 0) return;
      const h = await this.handleFor(f);
      const writing = io("write", f.path, async () => {
        await this.host.faults.beforeWrite?.(f.path);
        await writeFully(h.fh, chunk, f.length);
      });
      // Hash while the write is in flight; a failed write drops the hash (rebuilt from disk on next use).
      f.hash?.update(chunk);
      try {
        await writing;
      } catch (e) {
        f.hash = undefined;
        throw e;
      }
      f.length += chunk.length;
      h.dirty = true;
    });
  }

  flush(): Promise<void> {
    return this.serial.run(async () => {
      this.check();
      const h = this.handle;
      if (h?.dirty === true && this.host.fsync) await io("fsync", h.file.path, () => h.fh.sync());
      if (h !== undefined) h.dirty = false;
      for (const f of this.files.values()) f.durable = f.length;
      await writeProgress(this.host, this.meta, this.files);
    });
  }

  commit(): Promise<SnapshotMeta> {
    return this.serial.run(async () => {
      this.check();
      await this.closeHandle(true);
      for (const f of this.files.values()) {
        const problem = await this.verify(f);
        if (problem === undefined) continue;
        await this.discard().catch(() => {});
        throw corruptReception(this.meta, f.spec.name, problem);
      }
      // A failure from here on keeps the partial data: the next receive() resumes with every file complete.
      const dir = this.host.layout.reception(this.meta.id);
      // A flush cut short before its rename leaves progress.json's temp file; it must not be published with the snapshot.
      await rm(join(dir, tempFile(PROGRESS)), { force: true }).catch(() => {});
      await writeJsonAtomic(dir, MANIFEST, this.meta, this.host.fsync);
      await fsyncDir(join(dir, FILES), this.host.fsync);
      const result = await this.host.publish(dir, this.meta);
      if (result.published) await rm(join(this.host.layout.snapshot(this.meta.id), PROGRESS), { force: true }).catch(() => {});
      else await removeTree(dir).catch(() => {});
      this.state = "committed";
      this.host.finished(this, this.meta.id);
      return result.meta;
    });
  }

  abort(): Promise<void> {
    return this.serial.run(async () => {
      if (this.state === "aborted") return;
      this.check();
      await this.discard();
    });
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.serial.run(async () => {
      await this.closeHandle(false).catch(() => {});
      this.host.finished(this);
    });
  }

  private check(): void {
    checkWriter(this.state, this.stopped);
  }

  /** Size and SHA-256 of one file against the manifest; a description of the mismatch, if any. */
  private async verify(f: Received): Promise<string | undefined> {
    if (f.length !== f.spec.size) return `has ${f.length} bytes, expected ${f.spec.size}`;
    if (f.digest === undefined) {
      // Files complete before this session (resumed, or linked from a held snapshot) are hashed from disk.
      const hashed = f.hash === undefined ? await io("read", f.path, () => hashFile(f.path), "Corrupt") : { hash: f.hash, size: f.length };
      const problem = mismatch(f.spec, hashed.size, hashed.hash.digest("hex"));
      f.hash = undefined;
      if (problem !== undefined) return problem;
      f.digest = f.spec.sha256;
    }
    return undefined;
  }

  /** The handle for `f`, opening it (and re-hashing its durable prefix) on first use in this session. */
  private async handleFor(f: Received): Promise<{ file: Received; fh: FileHandle; dirty: boolean }> {
    if (this.handle?.file === f) return this.handle;
    await this.closeHandle(true);
    if (f.hash === undefined) {
      const prefix = await io("read", f.path, () => hashFile(f.path, f.length));
      if (prefix.size !== f.length) {
        await this.discard().catch(() => {});
        throw corruptReception(this.meta, f.spec.name, `lost bytes on disk: ${prefix.size} of ${f.length} remain`);
      }
      f.hash = prefix.hash;
    }
    const fh = await io("open", f.path, () => open(f.path, "r+"));
    this.handle = { file: f, fh, dirty: false };
    return this.handle;
  }

  private async closeHandle(sync: boolean): Promise<void> {
    const h = this.handle;
    if (h === undefined) return;
    this.handle = undefined;
    try {
      if (sync && h.dirty && this.host.fsync) await io("fsync", h.file.path, () => h.fh.sync());
    } finally {
      await h.fh.close().catch(() => {});
    }
  }

  /** Removes the reception and its resume state: the next receive() starts from zero. */
  private async discard(): Promise<void> {
    this.state = "aborted";
    await this.closeHandle(false).catch(() => {});
    await removeTree(this.host.layout.reception(this.meta.id));
    this.host.finished(this, this.meta.id);
  }
}
