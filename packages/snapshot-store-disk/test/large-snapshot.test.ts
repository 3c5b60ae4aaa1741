import { createHash } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import { DiskSnapshotStore } from "../src/index.js";
import { draft, tempDir } from "./support.js";

const MiB = 1 << 20;

// Each chunk read is a fresh buffer (the consumer may keep it), so unread
// garbage piles up until V8 collects, whenever it likes. Collecting every few
// chunks makes the peak measure what is retained, not GC timing: a leak or a
// whole-file read still shows, with a wide margin.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

it("writes, reads back and verifies a 64 MiB snapshot in bounded memory", async () => {
  const { dir, remove } = await tempDir();
  try {
    const store = await DiskSnapshotStore.open({ dir });
    gc();
    const base = process.memoryUsage().rss;
    let peak = base;
    let samples = 0;
    const sample = () => {
      if (++samples % 4 === 0) gc();
      peak = Math.max(peak, process.memoryUsage().rss);
    };

    const chunk = new Uint8Array(MiB);
    const written = createHash("sha256");
    const w = await store.create(draft(1));
    for (let i = 0; i < 64; i++) {
      chunk.fill(i, 0, MiB / 2); // different bytes per chunk, so order matters to the checksum
      chunk[MiB - 1] = 255 - i;
      written.update(chunk);
      await w.write("big.bin", chunk);
      sample();
    }
    const meta = await w.commit();
    expect(meta.size).toBe(64 * MiB);
    expect(meta.files[0]?.sha256).toBe(written.digest("hex"));

    const read = createHash("sha256");
    let total = 0;
    for await (const c of store.open(meta.id, "big.bin")) {
      read.update(c);
      total += c.length;
      sample();
    }
    expect(total).toBe(64 * MiB);
    expect(read.digest("hex")).toBe(meta.files[0]?.sha256);
    await store.verify(meta.id);
    sample();

    expect(peak - base).toBeLessThan(32 * MiB); // streaming retains ~7 MiB here; a whole-file read, 64+
    await store.close();
  } finally {
    await remove();
  }
});
