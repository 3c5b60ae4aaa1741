import { RaftError, isSnapshotFileName, parseSnapshotMeta, type SnapshotMeta } from "@raft/core/contracts";

export const FORMAT = "raft-snapshot-s3/1";

/** Where one file's bytes are: a key relative to the store prefix, and the object's ETag when it was written. */
export interface ObjectRef {
  readonly key: string;
  readonly etag: string;
}

/** What `snapshots/<id>/manifest.json` holds: the snapshot's manifest and where its files are. */
export interface StoredManifest {
  readonly meta: SnapshotMeta;
  readonly objects: ReadonlyMap<string, ObjectRef>;
}

const relativeKey = /^data\/[A-Za-z0-9_-]{1,64}\/[0-9a-f]{24}\/([^/]+)$/;

export function encodeManifest(stored: StoredManifest): Uint8Array {
  const objects = Object.fromEntries(stored.meta.files.map((f) => [f.name, stored.objects.get(f.name)]));
  return new TextEncoder().encode(`${JSON.stringify({ format: FORMAT, meta: stored.meta, objects }, null, 1)}\n`);
}

/** Parses and validates a stored manifest; `RaftError("Corrupt")` says what is wrong. */
export function decodeManifest(bytes: Uint8Array, expectedId: string, where: string): StoredManifest {
  let value: { format?: unknown; meta?: unknown; objects?: unknown };
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as typeof value;
  } catch (e) {
    throw new RaftError("Corrupt", `${where} is not JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || value.format !== FORMAT) throw new RaftError("Corrupt", `${where} is not a ${FORMAT} manifest`);
  const meta = parseSnapshotMeta(value.meta, where);
  if (meta.id !== expectedId) throw new RaftError("Corrupt", `${where} describes snapshot ${meta.id}, not ${expectedId}`);
  const raw = typeof value.objects === "object" && value.objects !== null ? (value.objects as Record<string, unknown>) : {};
  const objects = new Map<string, ObjectRef>();
  for (const f of meta.files) {
    const ref = Object.hasOwn(raw, f.name) ? (raw[f.name] as { key?: unknown; etag?: unknown } | null) : undefined;
    const key = typeof ref?.key === "string" ? ref.key : undefined;
    const name = key === undefined ? undefined : relativeKey.exec(key)?.[1];
    if (key === undefined || name === undefined || !isSnapshotFileName(name) || typeof ref?.etag !== "string") {
      throw new RaftError("Corrupt", `${where}: no valid object for file ${f.name}`);
    }
    objects.set(f.name, { key, etag: ref.etag });
  }
  return { meta, objects };
}
