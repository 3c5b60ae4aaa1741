import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIN_PART_SIZE, S3SnapshotStore } from "../src/index.js";
import { MiB, S3Server, bytes, codeOf, damage, errorOf, freshPrefix, keys, manifest, objectKey, openStore, readAll, recordingLogger, take, uploads } from "./support.js";
import { Index, NodeId, Term } from "@raft/core/contracts";

let server: S3Server;
beforeAll(async () => {
  server = await S3Server.start();
});
afterAll(async () => {
  await server?.stop();
});

const big = bytes(13 * MiB + 12345, 7); // two whole 5 MiB parts and a short last one
const small = bytes(3000, 8);
const files = { "state.bin": big, "index.json": small };

async function feed(w: { write(f: string, c: Uint8Array): Promise<void> }, file: string, b: Uint8Array, from: number, to: number, chunk = 256 * 1024): Promise<number> {
  let sent = 0;
  for (let at = from; at < to; at += chunk) {
    const c = b.subarray(at, Math.min(to, at + chunk));
    await w.write(file, c);
    sent += c.length;
  }
  return sent;
}

describe("resumable reception", () => {
  it("resumes across whole parts and a flushed tail after the store was abandoned (as in a crash)", async () => {
    const prefix = freshPrefix("resume");
    const meta = manifest(7, 2, files);
    const first = await openStore(server, prefix);
    const r1 = await first.receive(meta);
    expect([r1.progress.get("state.bin"), r1.progress.get("index.json")]).toEqual([0, 0]);
    const flushedAt = 7 * MiB + 333; // one whole part and 2 MiB + 333 bytes of tail
    await feed(r1.writer, "state.bin", big, 0, flushedAt);
    await r1.writer.flush();
    await feed(r1.writer, "state.bin", big, flushedAt, 11 * MiB); // a second part goes up, but nothing is flushed: lost
    // No close(): the process "died" here. A new store over the same prefix resumes.
    const second = await openStore(server, prefix);
    const r2 = await second.receive(meta);
    expect([r2.progress.get("state.bin"), r2.progress.get("index.json")]).toEqual([flushedAt, 0]);
    expect(await uploads(server.client(), prefix)).toHaveLength(1); // the reception's upload survives the open's cleanup
    expect(await codeOf(r2.writer.write("state.bin", big.subarray(flushedAt - 1)))).toBe("Corrupt"); // one byte too many: would run past the size
    const sent = (await feed(r2.writer, "state.bin", big, flushedAt, big.length)) + (await feed(r2.writer, "index.json", small, 0, small.length));
    expect(sent).toBe(meta.size - flushedAt);
    expect(await r2.writer.commit()).toEqual(meta);
    expect(Buffer.from(await readAll(second, meta.id, "state.bin")).equals(Buffer.from(big))).toBe(true);
    await second.verify(meta.id);
    // Nothing left over: no uploads, no tails, no progress record.
    expect(await uploads(server.client(), prefix)).toEqual([]);
    expect((await keys(server.client(), prefix)).filter((k) => k.includes("/.tail/") || k.includes("/receptions/"))).toEqual([]);
    await first.close();
    await second.close();
  });

  it("keeps flushed files complete across a reopen, and parks a file's tail when the writer moves on", async () => {
    const prefix = freshPrefix("park");
    const meta = manifest(8, 2, { "a.bin": bytes(6 * MiB, 1), "b.bin": bytes(2 * MiB, 2), "c.bin": small });
    const store = await openStore(server, prefix);
    const r1 = await store.receive(meta);
    await feed(r1.writer, "a.bin", bytes(6 * MiB, 1), 0, 6 * MiB); // complete: uploaded at once
    await feed(r1.writer, "b.bin", bytes(2 * MiB, 2), 0, MiB); // half, then parked
    await feed(r1.writer, "c.bin", small, 0, 1000);
    await r1.writer.flush();
    await store.close();
    const again = await openStore(server, prefix);
    const r2 = await again.receive(meta);
    expect(Object.fromEntries(r2.progress)).toEqual({ "a.bin": 6 * MiB, "b.bin": MiB, "c.bin": 1000 });
    await feed(r2.writer, "c.bin", small, 1000, small.length);
    await feed(r2.writer, "b.bin", bytes(2 * MiB, 2), MiB, 2 * MiB);
    expect(await r2.writer.commit()).toEqual(meta);
    await again.verify(meta.id);
    await again.close();
  });

  it("a file whose upload was completed just before a crash is found complete and re-read at commit", async () => {
    const prefix = freshPrefix("completed");
    const meta = manifest(9, 1, files);
    const store = await openStore(server, prefix);
    const r1 = await store.receive(meta);
    await feed(r1.writer, "state.bin", big, 0, 6 * MiB);
    await r1.writer.flush(); // recorded: one part and a tail
    await feed(r1.writer, "state.bin", big, 6 * MiB, big.length); // completes the upload; not recorded
    const again = await openStore(server, prefix);
    const r2 = await again.receive(meta);
    expect(r2.progress.get("state.bin")).toBe(big.length);
    await r2.writer.write("index.json", small);
    expect(await r2.writer.commit()).toEqual(meta);
    await again.verify(meta.id);
    await store.close();
    await again.close();
  });
});

describe("corrupted objects are never installed", () => {
  it("verify() finds an overwritten object and names the file", async () => {
    const prefix = freshPrefix("verify");
    const store = await openStore(server, prefix);
    const meta = await take(store, 1, files);
    await store.verify(meta.id);
    await damage(server.client(), await objectKey(server.client(), prefix, meta.id, "state.bin"));
    const e = await errorOf(store.verify(meta.id));
    expect(e.code).toBe("Corrupt");
    expect(e.message).toContain("state.bin");
    await store.close();
  });

  it("a reception's commit re-reads an object replaced after it was uploaded, rejects it, and starts over", async () => {
    const prefix = freshPrefix("reception-damage");
    const meta = manifest(5, 1, files);
    const store = await openStore(server, prefix);
    const r1 = await store.receive(meta);
    await feed(r1.writer, "state.bin", big, 0, big.length);
    await r1.writer.flush();
    const dataKey = (await keys(server.client(), `${prefix}data/`)).find((k) => k.endsWith("/state.bin")) as string;
    await damage(server.client(), dataKey);
    await r1.writer.write("index.json", small);
    const e = await errorOf(r1.writer.commit());
    expect([e.code, e.message.includes("state.bin")]).toEqual(["Corrupt", true]);
    expect(await codeOf(store.get(meta.id))).toBe("NotFound");
    expect(await store.list()).toEqual([]);
    const r2 = await store.receive(meta);
    expect([r2.progress.get("state.bin"), r2.progress.get("index.json")]).toEqual([0, 0]);
    expect((await keys(server.client(), `${prefix}data/`)).filter((k) => k === dataKey)).toEqual([]);
    await r2.writer.abort();
    await store.close();
  });

  it("the same after a restart, where only the ETag recorded with the progress is left to compare", async () => {
    const prefix = freshPrefix("reception-damage-restart");
    const meta = manifest(5, 1, files);
    const store = await openStore(server, prefix);
    const r1 = await store.receive(meta);
    await feed(r1.writer, "state.bin", big, 0, big.length);
    await r1.writer.write("index.json", small);
    await r1.writer.flush();
    await store.close();
    await damage(server.client(), (await keys(server.client(), `${prefix}data/`)).find((k) => k.endsWith("/index.json")) as string);
    const again = await openStore(server, prefix);
    const r2 = await again.receive(meta);
    expect(Object.fromEntries(r2.progress)).toEqual({ "state.bin": big.length, "index.json": small.length });
    const e = await errorOf(r2.writer.commit());
    expect([e.code, e.message.includes("index.json")]).toEqual(["Corrupt", true]);
    expect(await again.list()).toEqual([]);
    await again.close();
  });

  it("a held file whose object was damaged fails the reception that takes it", async () => {
    const prefix = freshPrefix("held-damage");
    const store = await openStore(server, prefix);
    const held = await take(store, 1, { "state.bin": small });
    await damage(server.client(), await objectKey(server.client(), prefix, held.id, "state.bin"));
    const meta = manifest(4, 1, { "state.bin": small, "log.bin": bytes(100, 3) });
    const r = await store.receive(meta);
    expect(r.progress.get("state.bin")).toBe(small.length); // taken from the held snapshot, no bytes sent
    await r.writer.write("log.bin", bytes(100, 3));
    const e = await errorOf(r.writer.commit());
    expect([e.code, e.message.includes("state.bin")]).toEqual(["Corrupt", true]);
    expect((await store.list()).map((m) => m.id)).toEqual([held.id]);
    await store.close();
  });
});

describe("uploads", () => {
  it("writes a multi-part local snapshot, and an abort leaves no object and no upload", async () => {
    const prefix = freshPrefix("local");
    const store = await S3SnapshotStore.open(server.options(prefix, { partSize: MIN_PART_SIZE, parallelism: 3 }));
    const meta = await take(store, 3, files);
    expect(Buffer.from(await readAll(store, meta.id, "state.bin")).equals(Buffer.from(big))).toBe(true);
    const w = await store.create({ index: Index.of(4), term: Term.of(1), membership: { voters: [NodeId.of(1)], learners: [] } });
    await feed(w, "state.bin", big, 0, 12 * MiB);
    await w.abort();
    expect(await uploads(server.client(), prefix)).toEqual([]);
    const objects = await keys(server.client(), `${prefix}data/`);
    expect(objects.length).toBe(2); // the committed snapshot's files only
    await store.close();
  });
});

describe("on plain s3rver (no ListMultipartUploads, ListParts, AbortMultipartUpload or conditional PUT)", () => {
  it("still commits, resumes, verifies and prunes, and says once what it does without", async () => {
    const plain = await S3Server.start(undefined, true);
    try {
      const logger = recordingLogger();
      const prefix = freshPrefix("plain");
      const store = await openStore(plain, prefix, { logger });
      const a = await take(store, 1, { "other.bin": small });
      const meta = manifest(5, 1, files);
      const r1 = await store.receive(meta);
      await feed(r1.writer, "state.bin", big, 0, 6 * MiB);
      await r1.writer.flush();
      const again = await openStore(plain, prefix, { logger });
      const r2 = await again.receive(meta);
      expect(r2.progress.get("state.bin")).toBe(6 * MiB);
      await feed(r2.writer, "state.bin", big, 6 * MiB, big.length);
      await r2.writer.write("index.json", small);
      expect(await r2.writer.commit()).toEqual(meta);
      await again.verify(meta.id);
      expect(await again.prune(1)).toEqual([a.id]);
      expect((await again.list()).map((m) => m.id)).toEqual([meta.id]);
      const missing = logger.lines.filter((l) => l.message.includes("does not implement")).map((l) => l.message);
      expect(missing.some((m) => m.includes("ListMultipartUploads"))).toBe(true);
      for (const m of new Set(missing)) expect(missing.filter((x) => x === m).length).toBeLessThanOrEqual(2); // once per operation and store (two stores here)
      await store.close();
      await again.close();
    } finally {
      await plain.stop();
    }
  });
});
