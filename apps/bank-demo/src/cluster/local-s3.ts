// A local S3-compatible server for `bank-demo cluster --snapshots s3` when no
// S3 endpoint is given: s3rver (file-backed), in the cluster's own process, so
// it stops with the cluster, Ctrl-C included, and leaves no process behind.
//
// s3rver 3.7 lacks four S3 operations the S3 snapshot store uses where a
// server has them; they are added here over s3rver's own file layout,
// following the S3 API: ListMultipartUploads (GET /bucket?uploads), ListParts
// (GET /bucket/key?uploadId=), AbortMultipartUpload (DELETE
// /bucket/key?uploadId=) and conditional PUT (If-None-Match: *, 412 when the
// key exists, which nodes sharing a prefix rely on). UploadPart to an unknown
// upload answers NoSuchUpload, as S3 does. (The same additions as the S3
// package's test fixture, packages/snapshot-store-s3/test/fixtures/s3-server.mjs.)

import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import S3rver, { type S3rverContext } from "s3rver";
import S3Error from "s3rver/lib/models/error.js";

/** The credentials s3rver accepts (its well-known dummy key pair): not secrets. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface LocalS3Options {
  /** Where objects are kept (kept across runs, like the nodes' data). */
  readonly dir: string;
  readonly bucket: string;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
}

export interface LocalS3 {
  /** `http://host:port`, for the stores' `endpoint`. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Closes every connection and stops listening. */
  stop(): Promise<void>;
}

/** Starts s3rver on `host:port` with `bucket` created, over `dir`. */
export async function startLocalS3(o: LocalS3Options): Promise<LocalS3> {
  const server = new S3rver({ address: o.host, port: o.port, directory: o.dir, silent: true, configureBuckets: [{ name: o.bucket }] });
  server.middleware.splice(server.middleware.length - 1, 0, (ctx, next) => missingOperations(o.dir, ctx, next));
  const { port } = await server.run();
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${port}`,
    bucket: o.bucket,
    stop() {
      stopped ??= (async () => {
        server.httpServer?.closeAllConnections();
        await server.close().catch(() => {});
      })();
      return stopped;
    },
  };
}

interface UploadEntry {
  Key: string;
  UploadId: string;
  Initiated: string;
  StorageClass: string;
}

const uploadsDir = (dir: string, bucket: string) => join(dir, bucket, "._S3rver_uploads");

function objectPath(dir: string, bucket: string, key: string): string {
  const parts = key.split("/");
  const last = parts.pop() ?? "";
  return join(dir, bucket, ...parts, `${last}._S3rver_object`);
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

async function uploadKey(dir: string, bucket: string, uploadId: string): Promise<string | undefined> {
  if (!/^[0-9a-f]+$/.test(uploadId)) return undefined;
  return readFile(join(uploadsDir(dir, bucket), uploadId, "key"), "utf8").catch(() => undefined);
}

async function requireUpload(dir: string, bucket: string, key: string, uploadId: string): Promise<string> {
  const found = await uploadKey(dir, bucket, uploadId);
  if (found === undefined || found !== key) {
    throw new S3Error("NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", { UploadId: uploadId });
  }
  return join(uploadsDir(dir, bucket), uploadId);
}

async function listUploads(dir: string, bucket: string, prefix: string): Promise<UploadEntry[]> {
  const ids = await readdir(uploadsDir(dir, bucket)).catch(() => [] as string[]);
  const out: UploadEntry[] = [];
  for (const id of ids) {
    const key = await uploadKey(dir, bucket, id);
    if (key === undefined || !key.startsWith(prefix)) continue;
    const st = await stat(join(uploadsDir(dir, bucket), id));
    out.push({ Key: key, UploadId: id, Initiated: st.birthtime.toISOString(), StorageClass: "STANDARD" });
  }
  return out.sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : a.UploadId < b.UploadId ? -1 : 1));
}

async function listParts(uploadDir: string) {
  const names = (await readdir(uploadDir)).filter((n) => /^\d+$/.test(n));
  const parts = [];
  for (const n of names) {
    const st = await stat(join(uploadDir, n));
    const md5 = await readFile(join(uploadDir, `${n}.md5`), "utf8").catch(() => undefined);
    if (md5 === undefined) continue; // still being written
    parts.push({ PartNumber: Number(n), LastModified: st.mtime.toISOString(), ETag: JSON.stringify(md5), Size: st.size });
  }
  return parts.sort((a, b) => a.PartNumber - b.PartNumber);
}

/** Runs after s3rver's XML encoder and path-style handling, before its router. */
async function missingOperations(dir: string, ctx: S3rverContext, next: () => Promise<void>): Promise<void> {
  const [, bucket = "", ...rest] = ctx.path.split("/");
  const key = rest.map(decodeURIComponent).join("/");
  const q = ctx.query;
  const uploadId = typeof q.uploadId === "string" ? q.uploadId : undefined;
  if (ctx.method === "GET" && key === "" && "uploads" in q) {
    const prefix = typeof q.prefix === "string" ? q.prefix : "";
    const uploads = await listUploads(dir, bucket, prefix);
    ctx.body = {
      ListMultipartUploadsResult: { Bucket: bucket, KeyMarker: "", UploadIdMarker: "", Prefix: prefix, MaxUploads: 10000, IsTruncated: false, ...(uploads.length > 0 ? { Upload: uploads } : {}) },
    };
    return;
  }
  if (key !== "" && uploadId !== undefined && !("partNumber" in q)) {
    if (ctx.method === "GET") {
      const parts = await listParts(await requireUpload(dir, bucket, key, uploadId));
      ctx.body = {
        ListPartsResult: {
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumberMarker: 0,
          MaxParts: 10000,
          IsTruncated: false,
          StorageClass: "STANDARD",
          ...(parts.length > 0 ? { Part: parts } : {}),
        },
      };
      return;
    }
    if (ctx.method === "DELETE") {
      await rm(await requireUpload(dir, bucket, key, uploadId), { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
  }
  if (ctx.method === "PUT" && key !== "" && uploadId !== undefined && "partNumber" in q) await requireUpload(dir, bucket, key, uploadId);
  if (ctx.method === "PUT" && key !== "" && Object.keys(q).every((k) => k === "x-id") && ctx.get("if-none-match") === "*") {
    if (await exists(objectPath(dir, bucket, key))) throw new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { Condition: "If-None-Match" });
  }
  await next();
}
