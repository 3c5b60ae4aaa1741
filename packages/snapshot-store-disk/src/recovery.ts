import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { RaftError, isRaftError, isSnapshotId, parseSnapshotMeta, type Logger, type SnapshotMeta } from "@raft/core/contracts";
import { errno, io, storageError } from "./errors.js";
import { removeTree } from "./fs-util.js";
import type { Host } from "./host.js";
import { MANIFEST, PROGRESS, type Layout } from "./layout.js";
import { readProgress } from "./reception-state.js";

/** A manifest lists at most 10,000 files; anything far larger is not one. */
const maxManifestBytes = 8 << 20;

export interface Recovered {
  readonly committed: Map<string, SnapshotMeta>;
  /** Receptions with resume state: id → snapshot index. */
  readonly receptions: Map<string, number>;
}

/**
 * What open() finds on disk. Leftovers of interrupted local snapshots go;
 * every manifest is read back through `parseSnapshotMeta`, and a snapshot
 * whose manifest does not validate is moved to `quarantine/` with a warning,
 * never served and never fatal. Receptions without readable resume state are
 * removed.
 */
export async function recover(host: Host): Promise<Recovered> {
  const { layout, logger } = host;
  await removeTree(layout.tmp);
  for (const dir of [layout.snapshots, layout.partial, layout.tmp]) await io("create", dir, () => mkdir(dir, { recursive: true }));

  const committed = new Map<string, SnapshotMeta>();
  for (const name of await io("list", layout.snapshots, () => readdir(layout.snapshots))) {
    const dir = join(layout.snapshots, name);
    try {
      const meta = await readManifest(dir, name);
      committed.set(meta.id, meta);
      await rm(join(dir, PROGRESS), { force: true }); // left when a crash followed a reception's publish
    } catch (e) {
      if (!isGarbage(e)) throw storageError(e, "read", dir);
      await quarantine(layout, logger, name, host.now(), e);
    }
  }

  const receptions = new Map<string, number>();
  for (const name of await io("list", layout.partial, () => readdir(layout.partial))) {
    const dir = join(layout.partial, name);
    const progress = isSnapshotId(name) ? await readProgress(host, dir).catch(() => undefined) : undefined;
    if (progress?.meta.id === name) {
      receptions.set(name, progress.meta.index);
      continue;
    }
    logger.warn("snapshot store: removing a reception without resume state", { path: dir });
    await removeTree(dir);
  }
  return { committed, receptions };
}

async function readManifest(dir: string, name: string): Promise<SnapshotMeta> {
  if (!isSnapshotId(name)) throw new RaftError("Corrupt", `${dir}: not a snapshot id`);
  const path = join(dir, MANIFEST);
  const fh = await open(path, "r");
  let text: string;
  try {
    if ((await fh.stat()).size > maxManifestBytes) throw new RaftError("Corrupt", `${path}: larger than any manifest`);
    text = await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RaftError("Corrupt", `${path}: not JSON (${String(e)})`);
  }
  const meta = parseSnapshotMeta(value, `manifest ${path}`);
  if (meta.id !== name) throw new RaftError("Corrupt", `${path} describes snapshot ${meta.id}, not ${name}`);
  return meta;
}

/** Bad content or a missing piece: quarantine it. An I/O failure is not garbage and stops open(). */
function isGarbage(e: unknown): boolean {
  return isRaftError(e, "Corrupt") || ["ENOENT", "ENOTDIR", "EISDIR"].includes(errno(e) ?? "");
}

async function quarantine(layout: Layout, logger: Logger, name: string, now: number, reason: unknown): Promise<void> {
  await io("create", layout.quarantine, () => mkdir(layout.quarantine, { recursive: true }));
  const to = join(layout.quarantine, `${name.slice(0, 100)}.${now}.${randomUUID().slice(0, 8)}`);
  const from = join(layout.snapshots, name);
  await io("quarantine", from, () => rename(from, to));
  logger.warn("snapshot store: quarantined a snapshot whose manifest does not validate", { path: from, to, reason: String(reason) });
}
