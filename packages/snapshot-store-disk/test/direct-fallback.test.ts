import { open, readFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DirectAppender } from "../src/direct-appender.js";
import { openDirect } from "../src/direct-io.js";
import { FileChunks } from "../src/file-chunks.js";
import { bytes, tempDir } from "./support.js";

const MiB = 1 << 20;

/** A direct handle whose device wants a larger alignment than ours: every read and write says EINVAL. */
function refusingHandle(): { handle: FileHandle; closed: () => boolean } {
  let closed = false;
  const refuse = () => Promise.reject(Object.assign(new Error("EINVAL: invalid argument"), { code: "EINVAL" }));
  return { handle: { write: refuse, read: refuse, close: async () => void (closed = true) } as unknown as FileHandle, closed: () => closed };
}

async function withFile(fn: (path: string, fh: FileHandle) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir();
  const path = join(dir, "a.bin");
  const fh = await open(path, "w+");
  try {
    await fn(path, fh);
  } finally {
    await fh.close();
    await remove();
  }
}

async function appendAll(appender: DirectAppender, data: Uint8Array, chunk: number): Promise<void> {
  for (let at = 0; at < data.length; at += chunk) await appender.append(data.subarray(at, at + chunk));
  await appender.drain();
  await appender.close();
}

describe("DirectAppender", () => {
  it("writes chunks of any size, drained anywhere, and says how far the file goes, in order", () =>
    withFile(async (path, fh) => {
      const direct = await openDirect(path, "write");
      expect(direct).toBeDefined(); // the test directory's file system takes O_DIRECT
      const reported: number[] = [];
      const appender = (await DirectAppender.open(fh, direct as FileHandle, path, 0, (n) => reported.push(n))) as DirectAppender;
      const data = bytes(3 * MiB + 999, 1);
      await appender.append(data.subarray(0, 5000));
      await appender.drain(); // a partial block goes through the ordinary handle
      await appendAll(appender, data.subarray(5000), 400_000);
      expect(Buffer.compare(await readFile(path), Buffer.from(data))).toBe(0);
      expect(reported).toEqual([...reported].sort((a, b) => a - b));
      expect(reported[0]).toBe(5000);
      expect(reported.at(-1)).toBe(data.length);
    }));

  it("goes on at the end of a file whose length is not block-aligned", () =>
    withFile(async (path, fh) => {
      const data = bytes(2 * MiB + 10, 2);
      await fh.write(data, 0, 6000, 0);
      const appender = (await DirectAppender.open(fh, (await openDirect(path, "write")) as FileHandle, path, 6000, () => {})) as DirectAppender;
      await appendAll(appender, data.subarray(6000), 123_456);
      expect(Buffer.compare(await readFile(path), Buffer.from(data))).toBe(0);
    }));

  it("writes through the ordinary handle once the device refuses the alignment", () =>
    withFile(async (path, fh) => {
      const refusing = refusingHandle();
      const appender = (await DirectAppender.open(fh, refusing.handle, path, 0, () => {})) as DirectAppender;
      const data = bytes(2 * MiB + 4097, 3);
      await appendAll(appender, data, 300_000);
      expect(refusing.closed()).toBe(true);
      expect(Buffer.compare(await readFile(path), Buffer.from(data))).toBe(0);
    }));

  it("reports a failed direct write (a full disk) on the next call, as DiskFull", () =>
    withFile(async (path, fh) => {
      const full = { write: () => Promise.reject(Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" })), close: async () => {} } as unknown as FileHandle;
      const appender = (await DirectAppender.open(fh, full, path, 0, () => {})) as DirectAppender;
      await appender.append(bytes(MiB, 4)); // fills the first stage: its write starts and fails in the background
      await expect(appender.drain()).rejects.toMatchObject({ code: "DiskFull" });
      await expect(appender.append(bytes(10, 5))).rejects.toMatchObject({ code: "DiskFull" });
    }));
});

describe("FileChunks with a direct handle", () => {
  it("reads through the ordinary handle once the device refuses the alignment", () =>
    withFile(async (path, fh) => {
      const data = bytes(3 * MiB + 5, 6);
      await fh.write(data, 0, data.length, 0);
      const refusing = refusingHandle();
      const chunks = new FileChunks(await open(path, "r"), path, data.length, 700_000, refusing.handle);
      const parts: Buffer[] = [];
      for await (const c of chunks.reusing(11)) parts.push(Buffer.from(c));
      await chunks.close();
      expect(refusing.closed()).toBe(true);
      expect(Buffer.compare(Buffer.concat(parts), Buffer.from(data).subarray(11))).toBe(0);
    }));
});
