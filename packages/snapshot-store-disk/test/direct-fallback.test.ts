import { randomBytes } from "node:crypto";
import { open, readFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DirectAppender, type HandOver } from "../src/direct-appender.js";
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

/**
 * A hand-over target that acts as the hashing thread does: it takes ranges
 * in file order (skipping bytes it already has), a few milliseconds late,
 * and checks that the appender left the memory alone until it said so.
 */
function slowHasher(hashedBefore = 0): { handOver: HandOver; settled: () => Promise<unknown>; bytes: () => Buffer; problems: string[] } {
  const parts: Buffer[] = [];
  const problems: string[] = [];
  const pending: Promise<void>[] = [];
  let pos = hashedBefore;
  const handOver: HandOver = (memory, offset, length, at) => {
    const seen = Buffer.from(new Uint8Array(memory, offset, length)); // a copy, as handed over
    const hashed = new Promise<void>((resolve) =>
      setTimeout(() => {
        if (!seen.equals(new Uint8Array(memory, offset, length))) problems.push(`memory of [${at}, ${at + length}) changed before it was hashed`);
        if (at > pos) problems.push(`a gap: handed [${at}, …) with ${pos} bytes hashed`);
        if (at + length > pos) parts.push(seen.subarray(pos - at));
        pos = Math.max(pos, at + length);
        resolve();
      }, 20),
    );
    pending.push(hashed);
    return hashed;
  };
  return { handOver, settled: () => Promise.all(pending), bytes: () => Buffer.concat(parts), problems };
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
  it("writes chunks of any size, drained anywhere, and hands every byte over once, in order, keeping the memory until it is hashed", () =>
    withFile(async (path, fh) => {
      const direct = await openDirect(path, "write");
      expect(direct).toBeDefined(); // the test directory's file system takes O_DIRECT
      const hasher = slowHasher();
      const appender = (await DirectAppender.open(fh, direct as FileHandle, path, 0, hasher.handOver)) as DirectAppender;
      const data = randomBytes(12 * MiB + 999); // not periodic: a reused buffer must show
      await appender.append(data.subarray(0, 5000));
      await appender.drain(); // a partial block goes through the ordinary handle
      await appendAll(appender, data.subarray(5000), 400_000);
      await hasher.settled(); // the last hand-over, which drain() does not wait for
      expect(Buffer.compare(await readFile(path), Buffer.from(data))).toBe(0);
      expect(hasher.problems).toEqual([]);
      expect(Buffer.compare(hasher.bytes(), Buffer.from(data))).toBe(0);
    }));

  it("goes on at the end of a file whose length is not block-aligned", () =>
    withFile(async (path, fh) => {
      const data = bytes(2 * MiB + 10, 2);
      await fh.write(data, 0, 6000, 0);
      const hasher = slowHasher(6000); // the first 6000 bytes were hashed from disk
      const appender = (await DirectAppender.open(fh, (await openDirect(path, "write")) as FileHandle, path, 6000, hasher.handOver)) as DirectAppender;
      await appendAll(appender, data.subarray(6000), 123_456);
      await hasher.settled();
      expect(Buffer.compare(await readFile(path), Buffer.from(data))).toBe(0);
      // The first hand-over starts at the block holding byte 6000: what it repeats is skipped.
      expect(hasher.problems).toEqual([]);
      expect(Buffer.compare(hasher.bytes(), Buffer.from(data).subarray(6000))).toBe(0);
    }));

  it("writes through the ordinary handle once the device refuses the alignment", () =>
    withFile(async (path, fh) => {
      const refusing = refusingHandle();
      const appender = (await DirectAppender.open(fh, refusing.handle, path, 0, async () => {})) as DirectAppender;
      const data = bytes(2 * MiB + 4097, 3);
      await appendAll(appender, data, 300_000);
      expect(refusing.closed()).toBe(true);
      expect(Buffer.compare(await readFile(path), Buffer.from(data))).toBe(0);
    }));

  it("reports a failed direct write (a full disk) on the next call, as DiskFull", () =>
    withFile(async (path, fh) => {
      const full = { write: () => Promise.reject(Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" })), close: async () => {} } as unknown as FileHandle;
      const appender = (await DirectAppender.open(fh, full, path, 0, async () => {})) as DirectAppender;
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
