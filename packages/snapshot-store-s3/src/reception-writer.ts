import { createHash } from "node:crypto";
import { RaftError, snapshotStoreRules, type SnapshotMeta } from "@raft/core/contracts";
import { corrupt } from "./errors.js";
import type { Host, StoppableWriter } from "./host.js";
import type { ObjectRef } from "./manifest-object.js";
import { InFlight, PartBuffers } from "./in-flight.js";
import { hashObject, readAll } from "./reader.js";
import { encodeRecord, length, type Received } from "./reception-state.js";
import { Serial } from "./serial.js";
const { checkAppend, checkWriter, fileOf, mismatch } = snapshotStoreRules;
type WriterState = snapshotStoreRules.WriterState;

/**
 * Receives a snapshot from a peer into `data/<owner>/<token>/`. Each file is
 * a multipart upload: bytes collect in one part-sized buffer, and each full
 * part is uploaded (up to `parallelism` at once) while the next fills.
 * `flush()` waits for the parts in flight, stores the bytes past the last
 * whole part as a small tail object (S3 accepts a short part only as the
 * last one), and writes the progress record: that is where a later
 * `receive()` resumes. A file is completed as soon as its last byte
 * arrives. `commit()` checks every file's size and SHA-256 against the
 * manifest, then writes the manifest last.
 */
export class ReceptionWriter implements StoppableWriter {
  private state: WriterState = "open";
  private stopped = false;
  private readonly serial = new Serial();
  /** Part uploads in flight, across files; after a failed one the writer is unusable (a new receive() resumes from the last flush). */
  private readonly inflight: InFlight;
  private readonly buffers: PartBuffers;
  /** The file whose buffer is in memory; others' partial bytes wait in their tail objects. */
  private current: Received | undefined;

  constructor(
    private readonly host: Host,
    readonly meta: SnapshotMeta,
    readonly token: string,
    private readonly files: ReadonlyMap<string, Received>,
  ) {
    this.inflight = new InFlight(host.config.parallelism);
    this.buffers = new PartBuffers(host.config.partSize);
  }

  write(file: string, chunk: Uint8Array): Promise<void> {
    return this.serial.run(async () => {
      this.check();
      const f = this.files.get(fileOf(this.meta, file).name) as Received;
      checkAppend(f.spec, length(f), chunk.length);
      if (chunk.length === 0) return;
      if (this.current !== f) {
        if (this.current !== undefined) await this.park(this.current);
        this.current = f;
      }
      await this.load(f);
      f.hash?.update(chunk);
      const { partSize } = this.host.config;
      for (let at = 0; at < chunk.length;) {
        f.buffer ??= this.buffers.take(Math.min(partSize, f.spec.size - f.dispatchedBytes));
        const n = Math.min(chunk.length - at, f.buffer.length - f.bufLen);
        f.buffer.set(chunk.subarray(at, at + n), f.bufLen);
        f.bufLen += n;
        at += n;
        if (f.bufLen === f.buffer.length && length(f) < f.spec.size) await this.dispatch(f);
      }
      if (length(f) === f.spec.size) await this.finish(f);
    });
  }

  flush(): Promise<void> {
    return this.serial.run(async () => {
      this.check();
      await this.settle();
      const f = this.current;
      if (f !== undefined && f.kind === "parts" && f.buffer !== undefined && f.tailOnServer < f.bufLen) await this.putTail(f);
      await this.writeRecord();
    });
  }

  commit(): Promise<SnapshotMeta> {
    return this.serial.run(async () => {
      this.check();
      await this.settle();
      for (const f of this.files.values()) {
        if (f.kind === "object") continue;
        if (length(f) !== f.spec.size) return this.reject(f, `has ${length(f)} bytes, expected ${f.spec.size}`);
        await this.finish(f);
      }
      const objects = new Map<string, ObjectRef>();
      for (const f of this.files.values()) {
        const problem = await this.check256(f);
        if (problem !== undefined) return this.reject(f, problem);
        objects.set(f.spec.name, { key: (f.objectKey ?? f.key).slice(this.host.layout.prefix.length), etag: f.etag ?? "" });
      }
      // Every file is complete and checked: record that, so a failed publish can be retried (or resumed after a restart) without re-sending.
      await this.writeRecord();
      const result = await this.host.publish(this.meta, objects);
      this.state = "committed";
      this.buffers.clear();
      await this.host.discardToken(this.token).catch(() => {}); // tails, and the data if an equal snapshot was there first
      await this.host.s3.delete([this.host.layout.reception(this.meta.id)]).catch(() => {});
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

  /** Stops this writer, keeping what was flushed for a later receive(). */
  stop(): Promise<void> {
    this.stopped = true;
    return this.serial.run(async () => {
      await this.settle().catch(() => {});
      for (const f of this.files.values()) f.buffer = undefined;
      this.buffers.clear();
      this.host.finished(this);
    });
  }

  private check(): void {
    checkWriter(this.state, this.stopped);
    this.inflight.check();
  }

  /** Brings a file's flushed tail back into memory after a park or a resume. */
  private async load(f: Received): Promise<void> {
    if (f.kind !== "parts" || f.buffer !== undefined || f.bufLen === 0) {
      if (f.kind === "parts" && f.bufLen === 0 && f.dispatchedBytes === 0 && f.hash === undefined) f.hash = createHash("sha256");
      return;
    }
    const { s3, layout } = this.host;
    const key = layout.tail(this.token, f.spec.name, f.dispatched + 1, f.bufLen);
    const { body } = await s3.getRange(key, 0, f.bufLen);
    const bytes = await readAll(body);
    if (bytes.length < f.bufLen) {
      await this.discard().catch(() => {});
      throw corrupt(`snapshot ${this.meta.id}: file ${f.spec.name} lost bytes: its tail object holds ${bytes.length} of ${f.bufLen}`);
    }
    f.buffer = this.buffers.take(Math.min(this.host.config.partSize, f.spec.size - f.dispatchedBytes));
    f.buffer.set(bytes.subarray(0, f.bufLen));
    // With no whole part before it, the tail is the whole file so far: the digest can start from it.
    if (f.dispatched === 0 && f.hash === undefined) f.hash = createHash("sha256").update(f.buffer.subarray(0, f.bufLen));
  }

  /** Stores a file's buffered bytes in its tail object and frees the buffer (the writer moved to another file). */
  private async park(f: Received): Promise<void> {
    if (f.kind === "parts" && f.buffer !== undefined && f.tailOnServer < f.bufLen) await this.putTail(f);
    f.buffer = undefined;
  }

  private async putTail(f: Received): Promise<void> {
    const key = this.host.layout.tail(this.token, f.spec.name, f.dispatched + 1, f.bufLen);
    await this.host.s3.put(key, (f.buffer as Buffer).subarray(0, f.bufLen));
    f.tailOnServer = f.bufLen;
    f.oldTails.add(key);
  }

  /** Uploads the buffer as the file's next part, in the background; waits while `parallelism` parts are in flight. */
  private async dispatch(f: Received): Promise<void> {
    const buffer = f.buffer as Buffer;
    const body = buffer.subarray(0, f.bufLen);
    f.uploadId ??= await this.host.s3.createUpload(f.key);
    const uploadId = f.uploadId;
    const n = ++f.dispatched;
    f.dispatchedBytes += body.length;
    f.buffer = undefined;
    f.bufLen = 0;
    f.tailOnServer = 0;
    await this.inflight.add(
      this.host.s3.uploadPart(f.key, uploadId, n, body).then((part) => {
        f.parts.push(part);
        f.parts.sort((a, b) => a.n - b.n);
        this.buffers.give(buffer);
      }),
    );
  }

  /** Waits for every part in flight; throws the first failure. */
  private settle(): Promise<void> {
    return this.inflight.settle();
  }

  /** Completes a file whose last byte has arrived: a single PUT if it fits one part, else the last part and CompleteMultipartUpload. */
  private async finish(f: Received): Promise<void> {
    if (f.kind === "object") return;
    await this.load(f);
    const { s3 } = this.host;
    if (f.dispatched === 0) {
      f.etag = (await s3.put(f.key, f.buffer === undefined ? new Uint8Array(0) : f.buffer.subarray(0, f.bufLen))).etag;
      if (f.buffer !== undefined) this.buffers.give(f.buffer);
    } else {
      if (f.bufLen > 0) await this.dispatch(f);
      await this.settle();
      f.etag = await s3.completeUpload(f.key, f.uploadId as string, f.parts);
    }
    f.kind = "object";
    f.objectKey = f.key;
    f.sha256 = f.hash?.digest("hex");
    f.hash = undefined;
    f.buffer = undefined;
    f.bufLen = 0;
    if (this.current === f) this.current = undefined;
  }

  /**
   * Size and SHA-256 of a complete file against the manifest. The digest
   * computed as the bytes streamed through counts while the object still
   * has the ETag it was written with; otherwise (resumed mid-file, or the
   * object replaced since) the object is read back and hashed.
   */
  private async check256(f: Received): Promise<string | undefined> {
    const key = f.objectKey ?? f.key;
    const head = await this.host.s3.head(key);
    if (head === undefined) return `is missing (${this.host.s3.url(key)})`;
    if (head.size !== f.spec.size) return `has ${head.size} bytes, expected ${f.spec.size}`;
    if (f.sha256 !== undefined && head.etag === f.etag) return mismatch(f.spec, head.size, f.sha256);
    const { size, sha256 } = await hashObject(this.host.s3, key, f.spec.size);
    const problem = mismatch(f.spec, size, sha256);
    if (problem === undefined) {
      f.sha256 = sha256;
      f.etag = head.etag;
    }
    return problem;
  }

  private async reject(f: Received, problem: string): Promise<never> {
    await this.discard().catch(() => {});
    throw new RaftError("Corrupt", `received snapshot ${this.meta.id}: file ${f.spec.name} ${problem}; the partial snapshot was discarded`);
  }

  private async writeRecord(): Promise<void> {
    const { s3, layout } = this.host;
    await s3.put(layout.reception(this.meta.id), encodeRecord(this.host, this.meta, this.token, this.files.values()), { contentType: "application/json" });
    // Tails the new record no longer names.
    const live = new Set<string>();
    for (const f of this.files.values()) if (f.kind === "parts" && f.tailOnServer > 0) live.add(layout.tail(this.token, f.spec.name, f.dispatched + 1, f.tailOnServer));
    const stale: string[] = [];
    for (const f of this.files.values()) {
      for (const k of f.oldTails) if (!live.has(k)) stale.push(k);
      f.oldTails = new Set([...f.oldTails].filter((k) => live.has(k)));
    }
    if (stale.length > 0) await s3.delete(stale).catch(() => {});
  }

  /** Removes the reception, its objects and its record: the next receive() starts from zero. */
  private async discard(): Promise<void> {
    this.state = "aborted";
    await this.settle().catch(() => {});
    for (const f of this.files.values()) f.buffer = undefined;
    this.buffers.clear();
    try {
      await this.host.s3.delete([this.host.layout.reception(this.meta.id)]);
      await this.host.discardToken(this.token);
    } finally {
      this.host.finished(this, this.meta.id);
    }
  }
}
