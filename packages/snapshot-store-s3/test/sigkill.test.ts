import { createHash, randomInt } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Index, manifestDigest, snapshotId, Term, type SnapshotMeta } from "@raft/core/contracts";
import { NodeChild, stopAllChildren } from "@raft/core/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { chunkOf, chunksOf } from "./fixtures/content.mjs";
import { BUCKET, MiB, S3Server, freshPrefix, keys, membership, openStore, uploads } from "./support.js";

// Real crashes: a child process works the built store (test/fixtures/crash-child.mjs)
// and is killed with SIGKILL mid-upload; the parent then looks at the bucket
// as a restarted node would.

const pkg = fileURLToPath(new URL("..", import.meta.url));
const child = join(pkg, "test", "fixtures", "crash-child.mjs");

let server: S3Server;
beforeAll(async () => {
  const built = await stat(join(pkg, "dist", "index.js")).catch(() => undefined);
  if (built === undefined) throw new Error("these tests run the built package: run `pnpm --filter @raft/snapshot-store-s3 build` first (turbo does)");
  server = await S3Server.start();
});
afterEach(async () => {
  await stopAllChildren();
});
afterAll(async () => {
  await server?.stop();
});

/** s3rver's own record of multipart uploads in progress: one directory (holding the parts) per upload. */
async function uploadDirs(): Promise<string[]> {
  return readdir(join(server.dir, BUCKET, "._S3rver_uploads")).catch(() => []);
}

async function killAfter(proc: NodeChild, line: RegExp, count: number, delayMs: number): Promise<string[]> {
  await proc.waitFor((l) => line.test(l), count);
  await sleep(delayMs);
  await proc.kill();
  return proc.lines;
}

describe("SIGKILL mid-upload", () => {
  it("leaves no visible snapshot, and the next open aborts the upload and removes its objects", async () => {
    const prefix = freshPrefix("kill-open");
    const proc = new NodeChild(child, ["upload", server.endpoint, prefix, "node-1", "64"]);
    const lines = await killAfter(proc, /^wrote /, 12 + randomInt(0, 20), randomInt(0, 30));
    expect(lines).not.toContain("done");
    expect(await uploads(server.client(), prefix)).toHaveLength(1);
    expect((await uploadDirs()).length).toBeGreaterThan(0);

    // Another owner sees nothing and leaves it alone.
    const other = await openStore(server, prefix, { owner: "node-2" });
    expect(await other.list()).toEqual([]);
    expect(await other.latest()).toBeUndefined();
    expect(await uploads(server.client(), prefix)).toHaveLength(1);
    await other.close();

    // The restarted node-1 cleans up on open.
    const store = await openStore(server, prefix, { owner: "node-1" });
    expect(await store.list()).toEqual([]);
    expect(await uploads(server.client(), prefix)).toEqual([]);
    expect(await uploadDirs()).toEqual([]);
    expect(await keys(server.client(), prefix)).toEqual([]);
    await store.close();
  });

  it("a store that was already open cleans up at its next prune", async () => {
    const prefix = freshPrefix("kill-prune");
    const store = await openStore(server, prefix, { owner: "node-1" });
    const proc = new NodeChild(child, ["upload", server.endpoint, prefix, "node-1", "64"]);
    await killAfter(proc, /^wrote /, 12 + randomInt(0, 20), randomInt(0, 30));
    expect(await store.list()).toEqual([]);
    expect(await uploads(server.client(), prefix)).toHaveLength(1);
    expect(await store.prune(1)).toEqual([]);
    expect(await uploads(server.client(), prefix)).toEqual([]);
    expect(await uploadDirs()).toEqual([]);
    expect(await keys(server.client(), prefix)).toEqual([]);
    await store.close();
  });
});

describe("SIGKILL mid-reception", () => {
  function generated(specs: readonly { name: string; size: number }[]): SnapshotMeta {
    const files = specs.map((f, k) => {
      const h = createHash("sha256");
      for (const c of chunksOf(k + 1, f.size)) h.update(c);
      return { name: f.name, size: f.size, sha256: h.digest("hex") };
    });
    const digest = manifestDigest(files);
    return { id: snapshotId(40, 3, digest), index: Index.of(40), term: Term.of(3), membership, files, size: files.reduce((n, f) => n + f.size, 0), sha256: digest, createdAt: 1 };
  }

  it("resumes each time at (or past) the last flush it reported, and commits the right bytes", async () => {
    const prefix = freshPrefix("kill-receive");
    const meta = generated([
      { name: "state.bin", size: 23 * MiB + 777 },
      { name: "index.json", size: 3000 },
    ]);
    let flushed = 0;
    for (let round = 0; round < 3; round++) {
      const proc = new NodeChild(child, ["receive", server.endpoint, prefix, "node-1", JSON.stringify(meta), "3"]);
      await killAfter(proc, /^flushed /, 1 + randomInt(0, 2), randomInt(0, 40));
      const resumed = Number(/^resumed (\d+)$/.exec(proc.lines.find((l) => l.startsWith("resumed ")) ?? "")?.[1]);
      expect(resumed, proc.stderr).toBeGreaterThanOrEqual(flushed);
      for (const l of proc.lines) if (l.startsWith("flushed ")) flushed = Math.max(flushed, Number(l.slice(8)));
      if (proc.lines.includes("done")) break;
    }
    expect(flushed).toBeGreaterThan(0);
    const store = await openStore(server, prefix, { owner: "node-1" });
    const { writer, progress } = await store.receive(meta);
    const done = meta.files.reduce((n, f) => n + (progress.get(f.name) ?? 0), 0);
    expect(done).toBeGreaterThanOrEqual(flushed);
    for (const [k, f] of meta.files.entries()) {
      for (let at = progress.get(f.name) ?? 0; at < f.size;) {
        const i = Math.floor(at / MiB);
        const piece = chunkOf(k + 1, i, f.size).subarray(at - i * MiB);
        await writer.write(f.name, piece);
        at += piece.length;
      }
    }
    expect(await writer.commit()).toEqual(meta);
    await store.verify(meta.id);
    expect(await uploads(server.client(), prefix)).toEqual([]);
    expect((await keys(server.client(), prefix)).filter((k) => !k.includes("/data/") || k.includes("/.tail/"))).toEqual([`${prefix}snapshots/${meta.id}/manifest.json`]);
    await store.close();
  });
});
