import { createHash, type Hash } from "node:crypto";
import { snapshotStoreRules, type SnapshotDraft, type SnapshotFile, type SnapshotMeta } from "@raft/core/contracts";
import type { Host, StoppableWriter } from "./host.js";
import { InFlight, PartBuffers } from "./in-flight.js";
import { newToken } from "./layout.js";
import type { ObjectRef } from "./manifest-object.js";
import type { PartInfo } from "./s3.js";
import { Serial } from "./serial.js";
const { buildMeta, checkNewFile, checkWriter } = snapshotStoreRules;
type WriterState = snapshotStoreRules.WriterState;

interface OpenFile {
  readonly name: string;
  readonly key: string;
  readonly hash: Hash;
  size: number;
  /** The part being filled; a whole one goes up in the background as the next fills. */
  buffer: Buffer | undefined;
  bufLen: number;
  uploadId: string | undefined;
  /** Parts handed to the uploader so far. */
  dispatched: number;
  /** Completed parts. */
  readonly parts: PartInfo[];
}

/**
 * Writes a new local snapshot: each file streams into a multipart upload
 * under `data/<owner>/<token>/`, hashed as it goes. Bytes collect in one
 * `partSize` buffer; each full part is uploaded while the next fills, at most
 * `parallelism` at once, so memory stays within (parallelism + 1) × partSize.
 * A file that fits one part is a single PUT. `commit()` finishes the last
 * upload and writes the manifest, the commit marker. Until then nothing is
 * visible; a crash leaves uploads and objects no manifest names, which the
 * next open or prune removes.
 */
export class LocalWriter implements StoppableWriter {
  readonly token = newToken();
  private state: WriterState = "open";
  private stopped = false;
  private readonly serial = new Serial();
  private readonly inflight: InFlight;
  private readonly buffers: PartBuffers;
  private readonly files: SnapshotFile[] = [];
  private readonly objects = new Map<string, ObjectRef>();
  private readonly names = new Set<string>();
  private current: OpenFile | undefined;

  constructor(
    private readonly host: Host,
    private readonly draft: SnapshotDraft,
  ) {
    this.inflight = new InFlight(host.config.parallelism);
    this.buffers = new PartBuffers(host.config.partSize);
  }

  write(file: string, chunk: Uint8Array): Promise<void> {
    return this.serial.run(async () => {
      this.check();
      if (this.current?.name !== file) {
        checkNewFile(file, this.names.has(file), this.names.size);
        await this.closeFile();
        this.names.add(file);
        this.current = { name: file, key: this.host.layout.file(this.token, file), hash: createHash("sha256"), size: 0, buffer: undefined, bufLen: 0, uploadId: undefined, dispatched: 0, parts: [] };
      }
      const f = this.current;
      f.hash.update(chunk);
      f.size += chunk.length;
      const { partSize } = this.host.config;
      for (let at = 0; at < chunk.length;) {
        // Copied into the part buffer: the caller may reuse its chunk once write() resolves.
        f.buffer ??= this.buffers.take();
        const n = Math.min(chunk.length - at, partSize - f.bufLen);
        f.buffer.set(chunk.subarray(at, at + n), f.bufLen);
        f.bufLen += n;
        at += n;
        // A full part waits for the next byte: the last part of a file may be whole, and the file's end is known only at close.
        if (f.bufLen === partSize && at < chunk.length) await this.dispatch(f);
      }
    });
  }

  /** Local snapshots become durable at `commit()`; this waits for the parts in flight and reports a failed one. */
  flush(): Promise<void> {
    return this.serial.run(async () => {
      this.check();
      await this.inflight.settle();
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
        if (!published) await this.discard();
        throw e;
      } finally {
        this.buffers.clear();
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
      if (this.state === "open") await this.discard().catch(() => {});
      this.host.finished(this);
    });
  }

  private check(): void {
    checkWriter(this.state, this.stopped);
    this.inflight.check();
  }

  /** Uploads the buffer as the file's next part, in the background. */
  private async dispatch(f: OpenFile): Promise<void> {
    const { s3 } = this.host;
    const buffer = f.buffer as Buffer;
    const body = buffer.subarray(0, f.bufLen);
    f.buffer = undefined;
    f.bufLen = 0;
    f.uploadId ??= await s3.createUpload(f.key);
    const uploadId = f.uploadId;
    const n = ++f.dispatched;
    await this.inflight.add(
      s3.uploadPart(f.key, uploadId, n, body).then((part) => {
        f.parts.push(part);
        this.buffers.give(buffer);
      }),
    );
  }

  /** Finishes the current file: a single PUT if it never filled a part, else its last part and CompleteMultipartUpload. */
  private async closeFile(): Promise<void> {
    const f = this.current;
    if (f === undefined) return;
    const { s3, layout } = this.host;
    let etag: string;
    if (f.uploadId === undefined) {
      etag = (await s3.put(f.key, f.buffer === undefined ? new Uint8Array(0) : f.buffer.subarray(0, f.bufLen))).etag;
      if (f.buffer !== undefined) this.buffers.give(f.buffer);
    } else {
      if (f.bufLen > 0) await this.dispatch(f);
      await this.inflight.settle();
      etag = await s3.completeUpload(
        f.key,
        f.uploadId,
        [...f.parts].sort((a, b) => a.n - b.n),
      );
    }
    this.current = undefined;
    this.files.push({ name: f.name, size: f.size, sha256: f.hash.digest("hex") });
    this.objects.set(f.name, { key: f.key.slice(layout.prefix.length), etag });
  }

  private async discard(): Promise<void> {
    const f = this.current;
    this.current = undefined;
    this.buffers.clear();
    await this.inflight.settle().catch(() => {});
    if (f?.uploadId !== undefined) await this.host.s3.abortUpload(f.key, f.uploadId).catch(() => {});
    await this.host.discardToken(this.token).catch((e: unknown) => {
      this.host.logger.warn("snapshot store: could not remove an unfinished snapshot's objects; the next open or prune will", { token: this.token, error: String(e) });
    });
  }
}
