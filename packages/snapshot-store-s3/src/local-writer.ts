import { createHash, type Hash } from "node:crypto";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { Upload } from "@aws-sdk/lib-storage";
import { snapshotStoreRules, type SnapshotDraft, type SnapshotFile, type SnapshotMeta } from "@raft/core/contracts";
import { s3Error } from "./errors.js";
import type { Host, StoppableWriter } from "./host.js";
import { newToken } from "./layout.js";
import type { ObjectRef } from "./manifest-object.js";
import { Serial } from "./serial.js";
const { buildMeta, checkNewFile, checkWriter } = snapshotStoreRules;
type WriterState = snapshotStoreRules.WriterState;

interface OpenFile {
  readonly name: string;
  readonly key: string;
  readonly hash: Hash;
  readonly body: PassThrough;
  readonly upload: Upload;
  /** Settles when the upload does; rejects with a mapped error. */
  readonly done: Promise<string>;
  size: number;
}

/** Bytes queued between `write()` and the uploader; the rest of the memory is lib-storage's parts. */
const queueBytes = 1 << 20;

/**
 * Writes a new local snapshot: each file streams into a lib-storage multipart
 * upload under `data/<owner>/<token>/` (parts of `partSize`, `parallelism` at
 * once), hashed as it goes. `commit()` finishes the last upload and writes the
 * manifest, the commit marker. Until then nothing is visible; a crash leaves
 * uploads and objects that no manifest names, which the next open or prune
 * removes.
 */
export class LocalWriter implements StoppableWriter {
  readonly token = newToken();
  private state: WriterState = "open";
  private stopped = false;
  private readonly serial = new Serial();
  private readonly files: SnapshotFile[] = [];
  private readonly objects = new Map<string, ObjectRef>();
  private readonly names = new Set<string>();
  private current: OpenFile | undefined;

  constructor(
    private readonly host: Host,
    private readonly draft: SnapshotDraft,
  ) {}

  write(file: string, chunk: Uint8Array): Promise<void> {
    return this.serial.run(async () => {
      this.check();
      if (this.current?.name !== file) {
        checkNewFile(file, this.names.has(file), this.names.size);
        await this.closeFile();
        this.names.add(file);
        this.current = this.startFile(file);
      }
      const f = this.current;
      if (chunk.length === 0) return;
      f.hash.update(chunk);
      f.size += chunk.length;
      // A copy: the caller may reuse its buffer once write() resolves, while the upload still holds the bytes.
      if (!f.body.write(Buffer.from(chunk))) await Promise.race([once(f.body, "drain"), f.done]);
    });
  }

  /** Local snapshots become durable at `commit()`; this only reports a failed upload early. */
  flush(): Promise<void> {
    return this.serial.run(async () => {
      this.check();
      const f = this.current;
      if (f !== undefined) await Promise.race([f.done, new Promise((resolve) => setImmediate(resolve))]);
    });
  }

  commit(): Promise<SnapshotMeta> {
    return this.serial.run(async () => {
      this.check();
      let published = false;
      try {
        await this.closeFile();
        const meta = buildMeta(this.draft, this.files, this.host.now());
        const result = await this.host.publish(meta, this.objects);
        published = true;
        this.state = "committed";
        if (!result.published) await this.host.discardToken(this.token).catch(() => {}); // an equal snapshot exists
        return result.meta;
      } catch (e) {
        // A failed commit ends the writer. Its objects go now, or (if the manifest write's outcome is unknown) at the next sweep.
        this.state = "aborted";
        if (!published) await this.discard(false);
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
      await this.discard(true);
      this.host.finished(this);
    });
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.serial.run(async () => {
      if (this.state === "open") await this.discard(true).catch(() => {});
      this.host.finished(this);
    });
  }

  private check(): void {
    checkWriter(this.state, this.stopped);
  }

  private startFile(name: string): OpenFile {
    const { s3, layout, config } = this.host;
    const key = layout.file(this.token, name);
    const body = new PassThrough({ highWaterMark: queueBytes });
    const upload = new Upload({
      client: s3.client,
      params: { Bucket: s3.bucket, Key: key, Body: body },
      partSize: config.partSize,
      queueSize: config.parallelism,
      leavePartsOnError: false,
    });
    const done = upload.done().then(
      (r) => r.ETag ?? "",
      (e: unknown) => {
        throw s3Error(e, "upload", s3.url(key));
      },
    );
    done.catch(() => {}); // observed where it matters: write(), flush(), closeFile()
    return { name, key, hash: createHash("sha256"), body, upload, done, size: 0 };
  }

  /** Finishes the current file's upload and lists it. */
  private async closeFile(): Promise<void> {
    const f = this.current;
    if (f === undefined) return;
    f.body.end();
    const etag = await f.done;
    this.current = undefined;
    this.files.push({ name: f.name, size: f.size, sha256: f.hash.digest("hex") });
    this.objects.set(f.name, { key: f.key.slice(this.host.layout.prefix.length), etag });
  }

  private async discard(wait: boolean): Promise<void> {
    const f = this.current;
    this.current = undefined;
    if (f !== undefined) {
      await f.upload.abort().catch(() => {});
      f.body.destroy();
      if (wait) await f.done.catch(() => {});
    }
    await this.host.discardToken(this.token).catch((e: unknown) => {
      this.host.logger.warn("snapshot store: could not remove an unfinished snapshot's objects; the next open or prune will", { token: this.token, error: String(e) });
    });
  }
}
