import { copyFile, link, mkdir, open, readFile, stat, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import { RaftError, parseSnapshotMeta, type SnapshotFile, type SnapshotMeta } from "@raft/core/contracts";
import { errno, io, storageError } from "./errors.js";
import { emptyFile, fsyncDir, writeJsonAtomic } from "./fs-util.js";
import type { HashJob } from "./hash-thread.js";
import type { Host } from "./host.js";
import { FILES, PROGRESS } from "./layout.js";

/** One file of a reception: `length` bytes are on disk, the first `durable` of them recorded in `progress.json`. */
export interface Received {
  readonly spec: SnapshotFile;
  readonly path: string;
  length: number;
  durable: number;
  /** The hashing of this file in this session (from its first byte, read back from disk), once it is written to. */
  job: HashJob | undefined;
  /** The checked digest, once `commit()` verified the file. */
  digest: string | undefined;
}

/** What `progress.json` holds: the manifest being received and the durable bytes per file. */
interface ProgressRecord {
  readonly meta: SnapshotMeta;
  readonly durable: ReadonlyMap<string, number>;
}

/**
 * Opens the reception of `meta`, new or resumed: every file on disk is cut
 * back to its recorded durable length (what a crash may have left beyond it
 * is not trusted), and files already held in a committed snapshot are linked
 * in whole.
 */
export async function loadReception(host: Host, meta: SnapshotMeta, held: Iterable<SnapshotMeta>): Promise<Map<string, Received>> {
  const dir = host.layout.reception(meta.id);
  await io("create", join(dir, FILES), () => mkdir(join(dir, FILES), { recursive: true }));
  const recorded = await readProgress(host, dir);
  let changed = recorded === undefined || recorded.meta.id !== meta.id;
  const files = new Map<string, Received>();
  for (const spec of meta.files) {
    const path = host.layout.receptionFile(meta.id, spec.name);
    const wanted = changed ? 0 : Math.min(recorded?.durable.get(spec.name) ?? 0, spec.size);
    const n = await settle(path, spec, wanted);
    if (n !== wanted) changed = true;
    files.set(spec.name, { spec, path, length: n, durable: n, job: undefined, digest: undefined });
  }
  const sources = [...held];
  for (const f of files.values()) if (f.length < f.spec.size && (await takeLocal(host, f, sources))) changed = true;
  if (changed) {
    await fsyncDir(join(dir, FILES), host.fsync);
    await writeProgress(host, meta, files);
  }
  return files;
}

export async function writeProgress(host: Host, meta: SnapshotMeta, files: ReadonlyMap<string, Received>): Promise<void> {
  const durable = Object.fromEntries([...files].map(([name, f]) => [name, f.durable]));
  await writeJsonAtomic(host.layout.reception(meta.id), PROGRESS, { meta, durable }, host.fsync);
}

/**
 * Reads `progress.json` back. Missing means a new reception; unreadable
 * means its resume state is lost (logged), and the reception starts over.
 */
export async function readProgress(host: Host, dir: string): Promise<ProgressRecord | undefined> {
  const path = join(dir, PROGRESS);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if (errno(e) === "ENOENT") return undefined;
    throw storageError(e, "read", path);
  }
  try {
    const value = JSON.parse(text) as { meta?: unknown; durable?: unknown };
    const meta = parseSnapshotMeta(value.meta, `reception manifest in ${path}`);
    const counts = typeof value.durable === "object" && value.durable !== null ? (value.durable as Record<string, unknown>) : {};
    const durable = new Map<string, number>();
    for (const f of meta.files) {
      const n = Object.hasOwn(counts, f.name) ? counts[f.name] : 0;
      if (typeof n === "number" && Number.isSafeInteger(n) && n >= 0) durable.set(f.name, n);
    }
    return { meta, durable };
  } catch (e) {
    host.logger.warn("snapshot store: unreadable reception progress; the reception starts over", { path, error: String(e) });
    return undefined;
  }
}

/** Makes the file hold at most `durable` bytes and returns how many it holds. */
async function settle(path: string, spec: SnapshotFile, durable: number): Promise<number> {
  const st = await stat(path).catch((e: unknown) => {
    if (errno(e) === "ENOENT") return undefined;
    throw storageError(e, "stat", path);
  });
  if (st === undefined || (st.nlink > 1 && !(durable === spec.size && st.size === spec.size))) {
    // A file linked from a committed snapshot shares its bytes: never cut or append to it, start a private one.
    if (st !== undefined) await io("remove", path, () => unlink(path));
    await emptyFile(path);
    return 0;
  }
  if (st.size < durable) return st.size;
  if (st.size > durable) await io("truncate", path, () => truncate(path, durable));
  return durable;
}

/** Links (or copies) a committed file with the same name, size and checksum; true if it did. */
async function takeLocal(host: Host, f: Received, held: readonly SnapshotMeta[]): Promise<boolean> {
  const source = held.find((m) => m.files.some((g) => g.name === f.spec.name && g.size === f.spec.size && g.sha256 === f.spec.sha256));
  if (source === undefined) return false;
  const from = host.layout.snapshotFile(source.id, f.spec.name);
  try {
    await unlink(f.path).catch((e: unknown) => (errno(e) === "ENOENT" ? undefined : Promise.reject(e)));
    await link(from, f.path).catch(async () => {
      await copyFile(from, f.path);
      if (host.fsync) await syncFile(f.path);
    });
  } catch (e) {
    host.logger.warn("snapshot store: could not take a file held locally; it will be received", { from, to: f.path, error: String(e) });
    await emptyFile(f.path);
    f.length = f.durable = 0;
    return true;
  }
  f.length = f.durable = f.spec.size;
  f.job?.cancel();
  f.job = undefined;
  return true;
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Thrown by `commit()` when a received file does not match the manifest. */
export function corruptReception(meta: SnapshotMeta, name: string, problem: string): RaftError {
  return new RaftError("Corrupt", `received snapshot ${meta.id}: file ${name} ${problem}; the partial data was discarded`);
}
