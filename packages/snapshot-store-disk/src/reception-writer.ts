import { open, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { SnapshotMeta } from "@raft/core/contracts";
import { directAppender, type DirectAppender } from "./direct-appender.js";
import { io } from "./errors.js";
import { fsyncDir, removeTree, tempFile, writeFully, writeJsonAtomic } from "./fs-util.js";
import type { Host, StoppableWriter } from "./host.js";
import { FILES, MANIFEST, PROGRESS } from "./layout.js";
import { corruptReception, writeProgress, type Received } from "./reception-state.js";
import { snapshotStoreRules } from "@raft/core/contracts";
const { checkAppend, checkWriter, fileOf, mismatch } = snapshotStoreRules;
type WriterState = snapshotStoreRules.WriterState;
import { Serial } from "./serial.js";

interface OpenFile {
  readonly file: Received;
  readonly fh: FileHandle;
  /** Direct writes, when the store uses them (the bytes go through `fh` otherwise). */
  readonly appender: DirectAppender | undefined;
  dirty: boolean;
}

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
  /** One file open at a time; switching files fsyncs and closes the previous one. */
  private handle: OpenFile | undefined;
  /** The flushes in flight, in order; settles (never rejects) once the last one is done. */
  private flushing: Promise<void> = Promise.resolve();
  /** A flush that failed: the writer is unusable after it. */
  private failure: Error | undefined;

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
      await io("write", f.path, async () => {
        await this.host.faults.beforeWrite?.(f.path);
        if (h.appender !== undefined) await h.appender.append(chunk);
        else await writeFully(h.fh, chunk, f.length);
      });
      f.length += chunk.length;
      h.dirty = true;
      // The hashing thread reads these bytes back while the next ones arrive (an appender hands its bytes over instead).
      if (h.appender === undefined) f.job?.advance(f.length);
    });
  }

  /**
   * Makes what was written before this call durable and records it in
   * `progress.json`. Writes issued after it go on while the fsync runs (the
   * disk's time overlaps the network's); flushes complete in call order. A
   * failed flush ends the writer: after a failed fsync the kernel may have
   * dropped the pages, so nothing written since can be trusted (a new
   * `receive()` resumes from the last flush that succeeded).
   */
  flush(): Promise<void> {
    return this.serial
      .run(async () => {
        this.check();
        const h = this.handle;
        await this.drain(h);
        const lengths = new Map([...this.files.values()].map((f) => [f, f.length]));
        const sync = h !== undefined && h.dirty && this.host.fsync ? io("fsync", h.file.path, () => h.fh.sync()) : undefined;
        if (h !== undefined) h.dirty = false;
        sync?.catch(() => {}); // observed below, in order
        const previous = this.flushing;
        const done = (async () => {
          await previous;
          await sync;
          for (const [f, n] of lengths) f.durable = Math.max(f.durable, n);
          await writeProgress(this.host, this.meta, this.files);
        })();
        this.flushing = done.catch((e: unknown) => {
          this.failure ??= e instanceof Error ? e : new Error(String(e));
        });
        // Wrapped, or this serial task would wait for the flush and hold back the writes after it.
        return { done };
      })
      .then(({ done }) => done);
  }

  commit(): Promise<SnapshotMeta> {
    return this.serial.run(async () => {
      this.check();
      await this.closeHandle(true);
      if (this.failure !== undefined) throw this.failure;
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
      this.cancelHashing();
      this.host.finished(this);
    });
  }

  private cancelHashing(): void {
    for (const f of this.files.values()) {
      f.job?.cancel();
      f.job = undefined;
    }
  }

  private check(): void {
    checkWriter(this.state, this.stopped);
    if (this.failure !== undefined) throw this.failure;
  }

  /** Size and SHA-256 of one file against the manifest; a description of the mismatch, if any. */
  private async verify(f: Received): Promise<string | undefined> {
    if (f.length !== f.spec.size) return `has ${f.length} bytes, expected ${f.spec.size}`;
    if (f.digest === undefined) {
      // Hashed from disk by the hashing thread: as it was written in this session, or (resumed, or linked from a held snapshot) now.
      const job = f.job;
      f.job = undefined;
      const hashed = await io("read", f.path, () => (job !== undefined ? job.finish(f.length) : this.host.hasher.hashFile(f.path, { direct: this.host.directIo })), "Corrupt");
      const problem = mismatch(f.spec, hashed.size, hashed.sha256);
      if (problem !== undefined) return problem;
      f.digest = f.spec.sha256;
    }
    return undefined;
  }

  /** Puts the bytes an appender gathered into the file; a failure ends the writer, as a failed fsync does. */
  private async drain(h: OpenFile | undefined): Promise<void> {
    try {
      await h?.appender?.drain();
    } catch (e) {
      this.failure ??= e instanceof Error ? e : new Error(String(e));
      throw e;
    }
  }

  /** The handle for `f`, opening it (and starting to hash its durable prefix) on first use in this session. */
  private async handleFor(f: Received): Promise<OpenFile> {
    if (this.handle?.file === f) return this.handle;
    await this.closeHandle(true);
    const fh = await io("open", f.path, () => open(f.path, "r+"));
    try {
      const { size } = await io("stat", f.path, () => fh.stat());
      if (size < f.length) {
        await this.discard().catch(() => {});
        throw corruptReception(this.meta, f.spec.name, `lost bytes on disk: ${size} of ${f.length} remain`);
      }
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
    const appender = await this.appenderFor(f, fh);
    if (f.job === undefined) {
      f.job = this.host.hasher.start(f.path, { direct: appender !== undefined });
      f.job.advance(f.length);
    }
    this.handle = { file: f, fh, appender, dirty: false };
    return this.handle;
  }

  /** Direct writes for `f` where the store uses them and the file system takes them; undefined means writes through `fh`. */
  private async appenderFor(f: Received, fh: FileHandle): Promise<DirectAppender | undefined> {
    if (!this.host.directIo) return undefined;
    return directAppender(fh, f.path, f.length, (memory, offset, length, at) => f.job?.handOver(memory, offset, length, at) ?? Promise.resolve()).catch(async (e: unknown) => {
      await fh.close().catch(() => {});
      throw e;
    });
  }

  /** Waits for the flushes in flight (their fsync may use the handle, and they write into the reception's directory), then closes the handle. */
  private async closeHandle(sync: boolean): Promise<void> {
    await this.flushing;
    const h = this.handle;
    if (h === undefined) return;
    this.handle = undefined;
    try {
      if (sync) await this.drain(h);
      if (sync && h.dirty && this.host.fsync) await io("fsync", h.file.path, () => h.fh.sync());
    } finally {
      await h.appender?.close();
      await h.fh.close().catch(() => {});
    }
  }

  /** Removes the reception and its resume state: the next receive() starts from zero. */
  private async discard(): Promise<void> {
    this.state = "aborted";
    await this.closeHandle(false).catch(() => {});
    this.cancelHashing();
    await removeTree(this.host.layout.reception(this.meta.id));
    this.host.finished(this, this.meta.id);
  }
}
