import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { RaftError, type SnapshotDraft, type SnapshotFile, type SnapshotMeta } from "@raft/core/contracts";
import { io } from "./errors.js";
import { fsyncDir, removeTree, writeFully, writeJsonAtomic } from "./fs-util.js";
import { directAppender, type DirectAppender } from "./direct-appender.js";
import type { HashJob } from "./hash-thread.js";
import type { Host, StoppableWriter } from "./host.js";
import { FILES, MANIFEST } from "./layout.js";
import { snapshotStoreRules } from "@raft/core/contracts";
const { buildMeta, checkNewFile, checkWriter } = snapshotStoreRules;
type WriterState = snapshotStoreRules.WriterState;
import { Serial } from "./serial.js";

interface OpenFile {
  readonly name: string;
  readonly path: string;
  readonly fh: FileHandle;
  /** Hashed by the hashing thread as the bytes are written: handed over by the appender, or read back from disk. */
  readonly job: HashJob;
  /** Direct writes, when the store uses them (the bytes go through `fh` otherwise). */
  readonly appender: DirectAppender | undefined;
  size: number;
}

/**
 * Writes a new local snapshot under `tmp/<random>/`, hashing each file as it
 * goes. `commit()` makes files and manifest durable, then publishes the
 * directory with one rename. Anything short of that leaves only `tmp/`
 * debris, which the next open removes.
 */
export class LocalWriter implements StoppableWriter {
  private state: WriterState = "open";
  private stopped = false;
  private readonly serial = new Serial();
  private readonly files: SnapshotFile[] = [];
  private readonly names = new Set<string>();
  private current: OpenFile | undefined;

  constructor(
    private readonly host: Host,
    private readonly draft: SnapshotDraft,
    private readonly dir: string,
  ) {}

  write(file: string, chunk: Uint8Array): Promise<void> {
    return this.serial.run(async () => {
      this.check();
      if (this.current?.name !== file) {
        checkNewFile(file, this.names.has(file), this.names.size);
        await this.closeFile();
        const path = this.host.layout.draftFile(this.dir, file);
        const fh = await io("create", path, () => open(path, "wx"));
        this.names.add(file);
        this.current = await this.openFile(file, path, fh);
      }
      const f = this.current;
      await io("write", f.path, async () => {
        await this.host.faults.beforeWrite?.(f.path);
        if (f.appender !== undefined) await f.appender.append(chunk);
        else await writeFully(f.fh, chunk, f.size);
      });
      f.size += chunk.length;
      if (f.appender === undefined) f.job.advance(f.size);
    });
  }

  flush(): Promise<void> {
    return this.serial.run(async () => {
      this.check();
      const f = this.current;
      await f?.appender?.drain();
      if (f !== undefined && this.host.fsync) await io("fsync", f.path, () => f.fh.sync());
    });
  }

  commit(): Promise<SnapshotMeta> {
    return this.serial.run(async () => {
      this.check();
      try {
        await this.closeFile();
        const meta = buildMeta(this.draft, this.files, this.host.now());
        await writeJsonAtomic(this.dir, MANIFEST, meta, this.host.fsync);
        await fsyncDir(join(this.dir, FILES), this.host.fsync);
        const result = await this.host.publish(this.dir, meta);
        if (!result.published) await removeTree(this.dir).catch(() => {}); // an equal snapshot exists; tmp/ debris goes on open
        this.state = "committed";
        return result.meta;
      } catch (e) {
        // A failed commit ends the writer: nothing was published, and the temp data goes.
        this.state = "aborted";
        await this.discard();
        throw e;
      } finally {
        this.host.finished(this);
      }
    });
  }

  abort(): Promise<void> {
    return this.serial.run(async () => {
      if (this.state === "aborted") return;
      this.check();
      this.state = "aborted";
      await this.discard();
      this.host.finished(this);
    });
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.serial.run(async () => {
      await this.discard();
      this.host.finished(this);
    });
  }

  private check(): void {
    checkWriter(this.state, this.stopped);
  }

  /** A new file's handle, hashing job and (direct writes on and taken) appender. */
  private async openFile(name: string, path: string, fh: FileHandle): Promise<OpenFile> {
    const job = this.host.hasher.start(path, { direct: false });
    try {
      const appender = this.host.directIo ? await directAppender(fh, path, 0, (memory, offset, length, at) => job.handOver(memory, offset, length, at)) : undefined;
      return { name, path, fh, job, appender, size: 0 };
    } catch (e) {
      job.cancel();
      await fh.close().catch(() => {});
      throw e;
    }
  }

  /** Finishes the current file: durable, closed, listed. */
  private async closeFile(): Promise<void> {
    const f = this.current;
    if (f === undefined) return;
    await f.appender?.drain();
    if (this.host.fsync) await io("fsync", f.path, () => f.fh.sync());
    await f.appender?.close();
    await io("close", f.path, () => f.fh.close());
    this.current = undefined;
    const { size, sha256 } = await io("read", f.path, () => f.job.finish(f.size));
    if (size !== f.size) throw new RaftError("StorageFailure", `snapshot store: ${f.path} holds ${size} bytes after ${f.size} were written`);
    this.files.push({ name: f.name, size: f.size, sha256 });
  }

  private async discard(): Promise<void> {
    await this.current?.appender?.close();
    this.current?.job.cancel();
    await this.current?.fh.close().catch(() => {});
    this.current = undefined;
    await removeTree(this.dir).catch(() => {}); // what is left, the next open removes
  }
}
