import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Index, manifestDigest, NodeId, snapshotId, Term, type Logger, type SnapshotMeta, type SnapshotStore } from "@raft/core/contracts";
import { S3SnapshotStore, type S3SnapshotStoreOptions } from "../src/index.js";

// The stores find credentials through the SDK's standard chain: here, the environment (s3rver's defaults).
process.env.AWS_ACCESS_KEY_ID = "S3RVER";
process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";

export const BUCKET = "raft-test";
export const MiB = 1 << 20;
const serverScript = fileURLToPath(new URL("./fixtures/s3-server.mjs", import.meta.url));

/** s3rver in a child process on 127.0.0.1 (a free port), over a temp directory; stopped by pid. */
export class S3Server {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly proc: ChildProcess,
  ) {}

  /** `plain`: s3rver without the operations the fixture adds (see test/fixtures/s3-server.mjs). */
  static async start(buckets: readonly string[] = [BUCKET], plain = false): Promise<S3Server> {
    const dir = await mkdtemp(join(tmpdir(), "raft-s3rver-"));
    const env = { ...process.env, S3RVER_PLAIN: plain ? "1" : "0" };
    const proc = spawn(process.execPath, [serverScript, dir, buckets.join(",")], { stdio: ["ignore", "pipe", "pipe"], env });
    let stderr = "";
    proc.stderr?.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      proc.stdout?.setEncoding("utf8").on("data", (t: string) => {
        out += t;
        const m = /listening (\d+)/.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      proc.once("exit", (code) => reject(new Error(`s3rver exited (${code}) before listening: ${stderr}`)));
      setTimeout(() => reject(new Error(`s3rver did not start in 20 s: ${stderr}`)), 20_000).unref();
    });
    return new S3Server(dir, port, proc);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Options for a store on this server. */
  options(prefix: string, extra: Partial<S3SnapshotStoreOptions> = {}): S3SnapshotStoreOptions {
    return { bucket: BUCKET, prefix, endpoint: this.endpoint, forcePathStyle: true, region: "us-east-1", partSize: 5 * MiB, parallelism: 2, retryBaseMs: 10, ...extra };
  }

  /** A plain client, for looking at (and damaging) the bucket behind a store's back. */
  client(): S3Client {
    return new S3Client({
      region: "us-east-1",
      endpoint: this.endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
  }

  /** The next `n` requests get 503 SlowDown. */
  async throttle(n: number): Promise<void> {
    const r = await fetch(`${this.endpoint}/__faults?throttle=${n}`, { method: "PUT" });
    if (!r.ok) throw new Error(`throttle: HTTP ${r.status}`);
  }

  /**
   * Cuts off one client (by access key id) from the keys under `prefix`: its
   * requests there in flight lose their connection (response bodies too),
   * and new ones are dropped, until `heal()`. Other clients are unaffected.
   * Cuts add up.
   */
  async cut(client: string, prefix: string): Promise<void> {
    const r = await fetch(`${this.endpoint}/__faults?${new URLSearchParams({ cut: client, prefix }).toString()}`, { method: "PUT" });
    if (!r.ok) throw new Error(`cut: HTTP ${r.status}`);
  }

  async heal(): Promise<void> {
    const r = await fetch(`${this.endpoint}/__faults?cut=`, { method: "PUT" });
    if (!r.ok) throw new Error(`heal: HTTP ${r.status}`);
  }

  /** SIGKILL by pid, then remove its directory. */
  async stop(): Promise<void> {
    const exited = new Promise((resolve) => (this.proc.exitCode !== null || this.proc.signalCode !== null ? resolve(undefined) : this.proc.once("exit", resolve)));
    if (this.proc.pid !== undefined && this.proc.exitCode === null && this.proc.signalCode === null) {
      try {
        process.kill(this.proc.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await exited;
    await rm(this.dir, { recursive: true, force: true });
  }
}

let prefixes = 0;
/** A fresh prefix per store, so tests share one bucket without meeting. */
export function freshPrefix(name = "t"): string {
  return `${name}-${process.pid}-${Date.now().toString(36)}-${prefixes++}/`;
}

export async function keys(client: S3Client, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    for (const o of r.Contents ?? []) if (o.Key !== undefined) out.push(o.Key);
    token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}

export async function uploads(client: S3Client, prefix: string): Promise<string[]> {
  const r = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
  return (r.Uploads ?? []).map((u) => u.Key ?? "");
}

export async function getObject(client: S3Client, key: string): Promise<Uint8Array> {
  const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await r.Body?.transformToByteArray()) ?? new Uint8Array(0);
}

export async function putObject(client: S3Client, key: string, body: Uint8Array | string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

/** The key of a committed file's object, as the manifest names it. */
export async function objectKey(client: S3Client, prefix: string, id: string, file: string): Promise<string> {
  const manifest = JSON.parse(new TextDecoder().decode(await getObject(client, `${prefix}snapshots/${id}/manifest.json`))) as { objects: Record<string, { key: string }> };
  const ref = manifest.objects[file];
  if (ref === undefined) throw new Error(`no object for ${file}`);
  return prefix + ref.key;
}

/** Replaces an object with the same bytes, the first one flipped (an empty one gains a byte). */
export async function damage(client: S3Client, key: string): Promise<void> {
  const b = await getObject(client, key);
  const out = b.length === 0 ? new Uint8Array([0]) : Uint8Array.from(b);
  if (b.length > 0) out[0] = (out[0] ?? 0) ^ 0xff;
  await putObject(client, key, out);
}

/** A second key pair the fixture server knows, so a test can cut off one client (`S3Server.cut`). */
export const otherCredentials = { accessKeyId: "S3RVER2", secretAccessKey: "S3RVER2" };

export const membership = { voters: [1, 2, 3].map(NodeId.of), learners: [] };
export const draft = (index: number, term = 1) => ({ index: Index.of(index), term: Term.of(term), membership });

/** Deterministic bytes, different per position and seed. */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The manifest a peer would send for these files. */
export function manifest(index: number, term: number, files: Record<string, Uint8Array>): SnapshotMeta {
  const list = Object.entries(files).map(([name, b]) => ({ name, size: b.length, sha256: sha256(b) }));
  const digest = manifestDigest(list);
  return { id: snapshotId(index, term, digest), index: Index.of(index), term: Term.of(term), membership, files: list, size: list.reduce((n, f) => n + f.size, 0), sha256: digest, createdAt: 1 };
}

export async function take(store: SnapshotStore, index: number, files: Record<string, Uint8Array>): Promise<SnapshotMeta> {
  const w = await store.create(draft(index));
  for (const [name, b] of Object.entries(files)) await w.write(name, b);
  return w.commit();
}

export async function readAll(store: { open: SnapshotStore["open"] }, id: string, file: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of store.open(id, file)) parts.push(c);
  return Buffer.concat(parts);
}

export async function codeOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => "resolved",
    (e: { code?: unknown }) => e.code,
  );
}

export async function errorOf(p: Promise<unknown>): Promise<{ code?: string; reason?: string; message: string; attempts?: number }> {
  return p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: { code?: string; reason?: string; message: string; attempts?: number }) => e,
  );
}

/** A logger that keeps what it is told. */
export function recordingLogger(): Logger & { lines: { level: string; message: string; fields: Record<string, unknown> | undefined }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> | undefined }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export async function openStore(server: S3Server, prefix: string, extra: Partial<S3SnapshotStoreOptions> = {}): Promise<S3SnapshotStore> {
  return S3SnapshotStore.open(server.options(prefix, extra));
}
