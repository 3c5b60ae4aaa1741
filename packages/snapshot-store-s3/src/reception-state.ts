import type { Hash } from "node:crypto";
import { RaftError, parseSnapshotMeta, type SnapshotFile, type SnapshotMeta } from "@raft/core/contracts";
import type { Host } from "./host.js";
import { isToken } from "./layout.js";
import type { PartInfo } from "./s3.js";

const FORMAT = "raft-snapshot-s3-reception/1";

/** One file of a reception, in memory. */
export interface Received {
  readonly spec: SnapshotFile;
  /** Absolute key of this reception's object for the file. */
  readonly key: string;
  /**
   * "parts": being uploaded. Durable bytes are the completed `parts` plus
   * `tail` bytes in the tail object for part `parts.length + 1`.
   * "object": complete, at `objectKey` (this reception's, or a held
   * snapshot's), with the ETag it had when written or taken.
   */
  kind: "parts" | "object";
  uploadId: string | undefined;
  /** Completed parts, 1..n in order. */
  parts: PartInfo[];
  /** Parts handed to the uploader (completed or in flight). */
  dispatched: number;
  /** Bytes in dispatched parts. */
  dispatchedBytes: number;
  /** Bytes past the dispatched parts: in `buffer`, or (when it is undefined) only in the tail object. */
  bufLen: number;
  buffer: Buffer | undefined;
  /** How many of the `bufLen` bytes are in a tail object (the one for part `dispatched + 1` and that length). */
  tailOnServer: number;
  /** Tail keys a record may still name; removed once a newer record is written. */
  oldTails: Set<string>;
  /** SHA-256 over every byte so far, if this session saw them all from byte 0. */
  hash: Hash | undefined;
  objectKey: string | undefined;
  etag: string | undefined;
  /** The file's SHA-256 as computed when its bytes streamed through (or a held snapshot's, checked by ETag). */
  sha256: string | undefined;
}

export function length(f: Received): number {
  return f.kind === "object" ? f.spec.size : f.dispatchedBytes + f.bufLen;
}

export function emptyFile(spec: SnapshotFile, key: string): Received {
  return {
    spec,
    key,
    kind: "parts",
    uploadId: undefined,
    parts: [],
    dispatched: 0,
    dispatchedBytes: 0,
    bufLen: 0,
    buffer: undefined,
    tailOnServer: 0,
    oldTails: new Set(),
    hash: undefined,
    objectKey: undefined,
    etag: undefined,
    sha256: undefined,
  };
}

type FileRecord =
  | { readonly kind: "parts"; readonly uploadId?: string; readonly parts: readonly PartInfo[]; readonly tail: number }
  | { readonly kind: "object"; readonly key: string; readonly etag: string; readonly sha256?: string };

/** What `receptions/<owner>/<id>.json` holds. */
export interface ReceptionRecord {
  readonly meta: SnapshotMeta;
  readonly token: string;
  readonly files: ReadonlyMap<string, FileRecord>;
}

export function encodeRecord(host: Host, meta: SnapshotMeta, token: string, files: Iterable<Received>): Uint8Array {
  const out: Record<string, FileRecord> = {};
  for (const f of files) {
    if (f.kind === "object") {
      out[f.spec.name] = { kind: "object", key: (f.objectKey ?? f.key).slice(host.layout.prefix.length), etag: f.etag ?? "", ...(f.sha256 !== undefined ? { sha256: f.sha256 } : {}) };
    } else {
      // Only completed parts count; `tail` is what the tail object holds past them.
      const tail = f.parts.length === f.dispatched ? f.tailOnServer : 0;
      out[f.spec.name] = { kind: "parts", ...(f.uploadId !== undefined ? { uploadId: f.uploadId } : {}), parts: f.parts, tail };
    }
  }
  return new TextEncoder().encode(JSON.stringify({ format: FORMAT, meta, token, files: out }));
}

const int = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** Parses a record; `undefined` (with a warning) if it cannot be used, and the reception starts over. */
export function decodeRecord(host: Host, bytes: Uint8Array, id: string, where: string): ReceptionRecord | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as { format?: unknown; meta?: unknown; token?: unknown; files?: unknown };
    if (v.format !== FORMAT) throw new Error(`not a ${FORMAT} record`);
    const meta = parseSnapshotMeta(v.meta, `reception manifest in ${where}`);
    if (meta.id !== id) throw new Error(`it records snapshot ${meta.id}`);
    if (typeof v.token !== "string" || !isToken(v.token)) throw new Error("no valid token");
    const raw = typeof v.files === "object" && v.files !== null ? (v.files as Record<string, Record<string, unknown>>) : {};
    const files = new Map<string, FileRecord>();
    for (const spec of meta.files) {
      const r = Object.hasOwn(raw, spec.name) ? raw[spec.name] : undefined;
      if (r?.kind === "object" && typeof r.key === "string" && r.key.startsWith("data/") && !r.key.includes("..") && typeof r.etag === "string") {
        files.set(spec.name, { kind: "object", key: r.key, etag: r.etag, ...(typeof r.sha256 === "string" ? { sha256: r.sha256 } : {}) });
      } else if (r?.kind === "parts" && Array.isArray(r.parts) && int(r.tail)) {
        const parts = (r.parts as { n?: unknown; etag?: unknown; size?: unknown }[]).map((p) => ({ n: p.n, etag: p.etag, size: p.size }));
        const ok = parts.every((p, i) => p.n === i + 1 && typeof p.etag === "string" && int(p.size)) && (parts.length === 0 || typeof r.uploadId === "string");
        if (!ok) throw new Error(`bad parts for ${spec.name}`);
        files.set(spec.name, { kind: "parts", ...(typeof r.uploadId === "string" ? { uploadId: r.uploadId } : {}), parts: parts as PartInfo[], tail: r.tail });
      }
    }
    return { meta, token: v.token, files };
  } catch (e) {
    host.logger.warn("snapshot store: unreadable reception progress; the reception starts over", { key: where, error: e instanceof RaftError || e instanceof Error ? e.message : String(e) });
    return undefined;
  }
}

/**
 * Rebuilds a reception's files from its record, keeping only what S3 still
 * has: an object that is missing or the wrong size, an upload that is gone or
 * whose parts differ, or a tail object shorter than recorded, start that file
 * over. A file whose upload was completed just before a crash is found as
 * an object. Returns the files and whether anything differs from the record.
 */
export async function resume(host: Host, record: ReceptionRecord): Promise<{ files: Map<string, Received>; changed: boolean }> {
  const { s3, layout } = host;
  const files = new Map<string, Received>();
  let changed = false;
  for (const spec of record.meta.files) {
    const key = layout.file(record.token, spec.name);
    const f = emptyFile(spec, key);
    files.set(spec.name, f);
    const r = record.files.get(spec.name);
    if (r === undefined) continue;
    if (r.kind === "object") {
      const head = await s3.head(layout.prefix + r.key);
      if (head !== undefined && head.size === spec.size) {
        Object.assign(f, { kind: "object", objectKey: layout.prefix + r.key, etag: r.etag, sha256: r.sha256 });
      } else {
        changed = true;
        host.logger.warn("snapshot store: a received file's object is gone or changed; receiving it again", { key: layout.prefix + r.key });
      }
      continue;
    }
    if (r.uploadId !== undefined) {
      const done = await s3.head(key);
      if (done !== undefined && done.size === spec.size) {
        // Completed just before a crash: its digest is unknown, so commit() re-reads it.
        Object.assign(f, { kind: "object", objectKey: key, etag: done.etag });
        changed = true;
        continue;
      }
      const listed = await s3.parts(key, r.uploadId);
      const intact = listed === undefined || (listed !== "gone" && r.parts.every((p) => listed.some((l) => l.n === p.n && l.etag === p.etag && l.size === p.size)));
      if (!intact) {
        changed = true;
        if (listed !== "gone") await s3.abortUpload(key, r.uploadId).catch(() => {});
        host.logger.warn("snapshot store: a reception's multipart upload is gone or differs from its record; that file starts over", { key });
        continue;
      }
      f.uploadId = r.uploadId;
      f.parts = [...r.parts];
      f.dispatched = r.parts.length;
      f.dispatchedBytes = r.parts.reduce((n, p) => n + p.size, 0);
    }
    if (r.tail > 0) {
      const tailKey = layout.tail(record.token, spec.name, f.dispatched + 1, r.tail);
      const head = await s3.head(tailKey);
      if (head !== undefined && head.size === r.tail) {
        f.bufLen = r.tail;
        f.tailOnServer = r.tail;
      } else changed = true;
    }
    if (f.dispatchedBytes + f.bufLen > spec.size) {
      throw new RaftError("Corrupt", `reception record for ${spec.name} counts ${f.dispatchedBytes + f.bufLen} bytes, past its ${spec.size}`);
    }
  }
  return { files, changed };
}
