import { createHash, type Hash } from "node:crypto";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { errno, io } from "./errors.js";

const MiB = 1 << 20;

/** Makes a directory's entries (a rename, a new file) durable. Platforms that cannot fsync a directory are tolerated. */
export async function fsyncDir(path: string, enabled: boolean): Promise<void> {
  if (!enabled) return;
  await io("fsync directory", path, async () => {
    const fh = await open(path, "r");
    try {
      await fh.sync();
    } catch (e) {
      if (!["EINVAL", "EISDIR", "EPERM", "ENOTSUP"].includes(errno(e) ?? "")) throw e;
    } finally {
      await fh.close();
    }
  });
}

/** Writes all of `data` at `position` (a single write may be short). */
export async function writeFully(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/** Fills `buf` from `position` on; returns fewer bytes only at the end of the file. */
export async function readFully(fh: FileHandle, buf: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** SHA-256 of the file's first `limit` bytes (all of it by default), read 1 MiB at a time. */
export async function hashFile(path: string, limit = Number.MAX_SAFE_INTEGER): Promise<{ hash: Hash; size: number }> {
  const hash = createHash("sha256");
  const fh = await open(path, "r");
  try {
    const buf = new Uint8Array(Math.min(MiB, Math.max(1, limit)));
    let size = 0;
    while (size < limit) {
      const n = await readFully(fh, buf.subarray(0, Math.min(buf.length, limit - size)), size);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      size += n;
    }
    return { hash, size };
  } finally {
    await fh.close();
  }
}

/** The temp file `writeJsonAtomic` writes `name` through; a crash or a failed write leaves it behind. */
export function tempFile(name: string): string {
  return `${name}.tmp`;
}

/** Replaces `dir/name` with `value` as JSON, atomically and durably: temp file, fsync, rename, fsync the directory. */
export async function writeJsonAtomic(dir: string, name: string, value: unknown, fsync: boolean): Promise<void> {
  const tmp = join(dir, tempFile(name));
  const path = join(dir, name);
  await io("write", tmp, async () => {
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(JSON.stringify(value));
      if (fsync) await fh.sync();
    } finally {
      await fh.close();
    }
  });
  await io("rename", path, () => rename(tmp, path));
  await fsyncDir(dir, fsync);
}

/** Creates an empty file, or empties an existing one. */
export async function emptyFile(path: string): Promise<void> {
  await io("create", path, async () => (await open(path, "w")).close());
}

export async function removeTree(path: string): Promise<void> {
  await io("remove", path, () => rm(path, { recursive: true, force: true }));
}
