import { RaftError, isSnapshotId } from "@raft/core/contracts";
import { MANIFEST } from "./layout.js";

/** Where a committed snapshot is, as `locate()` tells it. */
export interface S3Location {
  readonly bucket: string;
  /** The store prefix the snapshot lives under ("" or ending in "/"). */
  readonly prefix: string;
  readonly id: string;
  /** The manifest's key. */
  readonly key: string;
  /** The custom endpoint, if the store has one (`undefined`: AWS). */
  readonly endpoint: string | undefined;
  readonly region: string;
}

/**
 * The URL `locate()` returns:
 * `s3://<bucket>/<prefix>snapshots/<id>/manifest.json?region=<region>[&endpoint=<url>]`.
 * The query names the service, so a reader can tell whether its own client
 * reaches the same bucket; it never carries credentials.
 */
export function formatLocation(l: Omit<S3Location, "key">): string {
  const key = `${l.prefix}snapshots/${l.id}/${MANIFEST}`;
  const query = new URLSearchParams({ region: l.region, ...(l.endpoint !== undefined ? { endpoint: l.endpoint } : {}) });
  return `s3://${l.bucket}/${key.split("/").map(encodeURIComponent).join("/")}?${query.toString()}`;
}

/** Parses a `locate()` URL; `RaftError("InvalidConfig")` if it is not one. */
export function parseLocation(url: string): S3Location {
  const bad = (why: string) => new RaftError("InvalidConfig", `not an S3 snapshot location (${why}): ${JSON.stringify(url)}`);
  if (typeof url !== "string" || !url.startsWith("s3://")) throw bad("expected s3://bucket/key");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad("malformed URL");
  }
  const bucket = parsed.hostname;
  const key = parsed.pathname.slice(1).split("/").map(decodeURIComponent).join("/");
  const m = /^(.*?)snapshots\/([^/]+)\/manifest\.json$/.exec(key);
  if (bucket === "" || m === null) throw bad("expected <prefix>snapshots/<id>/manifest.json");
  const [, prefix = "", id = ""] = m;
  if (!isSnapshotId(id)) throw bad("not a snapshot id");
  if (prefix !== "" && (!prefix.endsWith("/") || prefix.split("/").some((s, i, all) => (s === "" && i < all.length - 1) || s === "." || s === ".."))) throw bad("bad prefix");
  const endpoint = parsed.searchParams.get("endpoint") ?? undefined;
  return { bucket, prefix, id, key, endpoint, region: parsed.searchParams.get("region") ?? "us-east-1" };
}

/** Same service: the same custom endpoint, or AWS in the same region. */
export function sameService(a: { endpoint?: string | undefined; region: string }, b: { endpoint?: string | undefined; region: string }): boolean {
  const norm = (e: string | undefined) => (e === undefined ? undefined : e.replace(/\/+$/, "").toLowerCase());
  if (a.endpoint !== undefined || b.endpoint !== undefined) return norm(a.endpoint) === norm(b.endpoint);
  return a.region === b.region;
}
