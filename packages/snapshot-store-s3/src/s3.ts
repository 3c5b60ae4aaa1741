import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { Logger } from "@raft/core/contracts";
import type { ResolvedConfig, S3SnapshotStoreOptions } from "./config.js";
import { classify, describe, isRetryable, s3Error, unsupported } from "./errors.js";

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
}

export interface PartInfo {
  readonly n: number;
  readonly etag: string;
  readonly size: number;
}

/** Attempts made before a failure was given up, for the error's message. */
const attemptsOf = new WeakMap<object, number>();

type Send = (command: unknown, options?: unknown) => Promise<unknown>;

/**
 * The store's only way to S3: one `S3Client` whose `send` retries
 * throttling, network and 5xx failures with capped exponential backoff and
 * full jitter, and helpers that map
 * failures to `RaftError`s at the edge.
 */
export class S3Access {
  readonly client: S3Client;
  readonly bucket: string;
  private closed = false;
  /** Operations the server answered NotImplemented/MethodNotAllowed to; not asked again. */
  private readonly missing = new Set<string>();

  constructor(
    readonly config: ResolvedConfig,
    private readonly logger: Logger,
    credentials: S3SnapshotStoreOptions["credentials"],
  ) {
    this.bucket = config.bucket;
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      ...(credentials !== undefined ? { credentials } : {}),
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 1, // retries are ours (below), so every request follows one policy and is logged
      requestHandler: { connectionTimeout: config.connectTimeoutMs, requestTimeout: config.requestTimeoutMs },
    });
    const client = this.client as unknown as { send: Send };
    const raw = client.send.bind(this.client) as Send;
    client.send = (command, options) => this.retrying(command, () => raw(command, options));
  }

  close(): void {
    this.closed = true;
    this.client.destroy();
  }

  /** `s3://bucket/key`, for messages and logs. */
  url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  private async retrying<T>(command: unknown, run: () => Promise<T>): Promise<T> {
    const { maxAttempts, retryBaseMs, retryMaxMs } = this.config;
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (e) {
        const reason = classify(e);
        if (!isRetryable(reason) || attempt >= maxAttempts || this.closed) {
          if (typeof e === "object" && e !== null) attemptsOf.set(e, attempt);
          throw e;
        }
        const delayMs = Math.round(Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1)));
        const input = (command as { input?: { Key?: unknown } }).input;
        this.logger.warn("S3 request failed; retrying", {
          operation: (command as object).constructor.name.replace(/Command$/, ""),
          bucket: this.bucket,
          key: typeof input?.Key === "string" ? input.Key : undefined,
          reason,
          code: describe(e).code,
          attempt,
          delayMs,
        });
        await sleep(delayMs);
      }
    }
  }

  /** Runs one request and maps its failure. */
  async call<T>(action: string, key: string, run: (client: S3Client) => Promise<T>): Promise<T> {
    try {
      return await run(this.client);
    } catch (e) {
      const attempts = typeof e === "object" && e !== null ? (attemptsOf.get(e) ?? 1) : 1;
      throw s3Error(e, action, this.url(key), attempts);
    }
  }

  /** Size and ETag of an object; `undefined` if there is none. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.call("HeadObject", key, (c) => c.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return { key, size: r.ContentLength ?? 0, etag: r.ETag ?? "" };
    } catch (e) {
      if (isNoSuchKey(e)) return undefined;
      throw e;
    }
  }

  /** The bytes `start` to `end` (exclusive) of an object, as a stream; `end` defaults to the object's end. */
  async getRange(key: string, start: number, end?: number): Promise<{ body: Readable; size: number; etag: string }> {
    const range = end === undefined ? `bytes=${start}-` : `bytes=${start}-${end - 1}`;
    const r = await this.call("GetObject", key, (c) => c.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range })));
    const total = /\/(\d+)$/.exec(r.ContentRange ?? "")?.[1];
    return { body: r.Body as Readable, size: total === undefined ? (r.ContentLength ?? 0) : Number(total), etag: r.ETag ?? "" };
  }

  /** A small object's bytes; `undefined` if there is none. */
  async getBytes(key: string): Promise<Uint8Array | undefined> {
    try {
      const r = await this.call("GetObject", key, (c) => c.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
      return await this.call("GetObject", key, async () => (r.Body === undefined ? new Uint8Array(0) : r.Body.transformToByteArray()));
    } catch (e) {
      if (isNoSuchKey(e)) return undefined;
      throw e;
    }
  }

  /** Puts a whole object; with `ifNoneMatch`, only if the key is free (false if it was taken). */
  async put(key: string, body: Uint8Array, options: { ifNoneMatch?: boolean; contentType?: string } = {}): Promise<{ etag: string; created: boolean }> {
    try {
      const r = await this.call("PutObject", key, (c) =>
        c.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: body,
            ContentLength: body.length,
            ...(options.contentType !== undefined ? { ContentType: options.contentType } : {}),
            ...(options.ifNoneMatch === true ? { IfNoneMatch: "*" } : {}),
          }),
        ),
      );
      return { etag: r.ETag ?? "", created: true };
    } catch (e) {
      const code = (e as { s3Code?: unknown }).s3Code;
      if (options.ifNoneMatch === true && (code === "PreconditionFailed" || code === "ConditionalRequestConflict")) return { etag: "", created: false };
      throw e;
    }
  }

  /** Every object under `prefix`, in key order. */
  async *list(prefix: string): AsyncGenerator<ObjectInfo> {
    let token: string | undefined;
    do {
      const r = await this.call("ListObjectsV2", prefix, (c) => c.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token })));
      for (const o of r.Contents ?? []) if (o.Key !== undefined) yield { key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? "" };
      token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Deletes keys, 1000 per request; a key that is already gone is not an error. */
  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const r = await this.call("DeleteObjects", batch[0] ?? "", (c) => c.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })));
      const failed = (r.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
      if (failed.length > 0) {
        const first = failed[0];
        throw s3Error(
          Object.assign(new Error(first?.Message ?? "delete failed"), { name: first?.Code ?? "DeleteFailed", $metadata: { httpStatusCode: first?.Code === "AccessDenied" ? 403 : 500 } }),
          "DeleteObjects",
          this.url(first?.Key ?? ""),
        );
      }
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    const keys: string[] = [];
    for await (const o of this.list(prefix)) keys.push(o.key);
    await this.delete(keys);
  }

  /** Multipart uploads in progress under `prefix`; `undefined` if the server cannot list them. */
  async uploads(prefix: string): Promise<{ key: string; uploadId: string }[] | undefined> {
    if (this.missing.has("ListMultipartUploads")) return undefined;
    const out: { key: string; uploadId: string }[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    try {
      do {
        const r = await this.call("ListMultipartUploads", prefix, (c) =>
          c.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: idMarker })),
        );
        for (const u of r.Uploads ?? []) if (u.Key !== undefined && u.UploadId !== undefined) out.push({ key: u.Key, uploadId: u.UploadId });
        const more = r.IsTruncated === true;
        keyMarker = more ? r.NextKeyMarker : undefined;
        idMarker = more ? r.NextUploadIdMarker : undefined;
      } while (keyMarker !== undefined);
      return out;
    } catch (e) {
      if (this.unsupported(e, "ListMultipartUploads")) return undefined;
      throw e;
    }
  }

  async createUpload(key: string): Promise<string> {
    const r = await this.call("CreateMultipartUpload", key, (c) => c.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key })));
    if (r.UploadId === undefined) throw s3Error(new Error("no UploadId in the answer"), "CreateMultipartUpload", this.url(key));
    return r.UploadId;
  }

  async uploadPart(key: string, uploadId: string, n: number, body: Uint8Array): Promise<PartInfo> {
    const r = await this.call("UploadPart", key, (c) => c.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ContentLength: body.length })));
    if (r.ETag === undefined) throw s3Error(new Error(`no ETag for part ${n}`), "UploadPart", this.url(key));
    return { n, etag: r.ETag, size: body.length };
  }

  async completeUpload(key: string, uploadId: string, parts: readonly PartInfo[]): Promise<string> {
    const r = await this.call("CompleteMultipartUpload", key, (c) =>
      c.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })) },
        }),
      ),
    );
    return r.ETag ?? "";
  }

  /** Aborts an upload (its parts are freed); false if the server cannot. One that is already gone is not an error. */
  async abortUpload(key: string, uploadId: string): Promise<boolean> {
    if (this.missing.has("AbortMultipartUpload")) return false;
    try {
      await this.call("AbortMultipartUpload", key, (c) => c.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })));
      return true;
    } catch (e) {
      if (isNoSuchKey(e)) return true;
      if (this.unsupported(e, "AbortMultipartUpload")) return false;
      throw e;
    }
  }

  /** The parts of an upload: `"gone"` if there is no such upload, `undefined` if the server cannot list parts. */
  async parts(key: string, uploadId: string): Promise<PartInfo[] | "gone" | undefined> {
    if (this.missing.has("ListParts")) return undefined;
    const out: PartInfo[] = [];
    let marker: string | undefined;
    try {
      do {
        const r = await this.call("ListParts", key, (c) => c.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker })));
        for (const p of r.Parts ?? []) if (p.PartNumber !== undefined && p.ETag !== undefined) out.push({ n: p.PartNumber, etag: p.ETag, size: p.Size ?? 0 });
        marker = r.IsTruncated === true ? r.NextPartNumberMarker : undefined;
      } while (marker !== undefined);
      return out;
    } catch (e) {
      if (isNoSuchKey(e)) return "gone";
      if (this.unsupported(e, "ListParts")) return undefined;
      throw e;
    }
  }

  private unsupported(e: unknown, operation: string): boolean {
    const code = (e as { s3Code?: unknown }).s3Code;
    if (typeof code !== "string" || !unsupported.has(code)) return false;
    this.missing.add(operation);
    this.logger.info(`the S3 server does not implement ${operation}; the store does without it`, { bucket: this.bucket });
    return true;
  }
}

/** A missing key or upload (but not a missing bucket, which is a configuration problem). */
export function isNoSuchKey(e: unknown): boolean {
  const code = (e as { s3Code?: unknown; reason?: unknown }).s3Code;
  return (e as { reason?: unknown }).reason === "not-found" && code !== "NoSuchBucket";
}
