import { createHash } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { chunksOf } from "./fixtures/content.mjs";
import { MiB, S3Server, draft, freshPrefix, openStore, uploads } from "./support.js";

// Each chunk read is a fresh buffer (the consumer may keep it), so garbage
// piles up until V8 collects, whenever it likes. Collecting every few chunks
// makes the peak measure what is retained, not GC timing: a leak or a
// whole-file buffer still shows, with a wide margin.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let server: S3Server;
beforeAll(async () => {
  server = await S3Server.start();
});
afterAll(async () => {
  await server?.stop();
});

const SIZE = 512 * MiB;
const partSize = 8 * MiB;
const parallelism = 4;

it("uploads and reads back a 512 MiB snapshot with memory bounded by part size × parallelism", { timeout: 300_000 }, async () => {
  const prefix = freshPrefix("large");
  const store = await openStore(server, prefix, { partSize, parallelism });
  gc();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed + base.external;
  const phases: string[] = [];
  const mark = (name: string) => phases.push(`${name}: RSS +${((peakRss - base.rss) / MiB).toFixed(1)}, heap+external +${((peakHeap - base.heapUsed - base.external) / MiB).toFixed(1)}`);
  let samples = 0;
  const sample = () => {
    if (++samples % 2 === 0) gc();
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed + m.external);
  };

  const written = createHash("sha256");
  const scratch = new Uint8Array(MiB); // the generator refills it; write() copies what it keeps
  const w = await store.create(draft(1));
  for (const c of chunksOf(3, SIZE, scratch)) {
    written.update(c);
    await w.write("big.bin", c);
    sample();
  }
  const meta = await w.commit();
  expect(meta.size).toBe(SIZE);
  expect(meta.files[0]?.sha256).toBe(written.digest("hex"));
  expect(await uploads(server.client(), prefix)).toEqual([]);
  mark("upload");

  const read = createHash("sha256");
  let total = 0;
  for await (const c of store.open(meta.id, "big.bin")) {
    read.update(c);
    total += c.length;
    sample();
  }
  expect(total).toBe(SIZE);
  expect(read.digest("hex")).toBe(meta.files[0]?.sha256);

  mark("upload+download");
  console.log(phases.join("; "));
  const bound = 64 * MiB + partSize * parallelism;
  const growth = { rss: peakRss - base.rss, buffers: peakHeap - (base.heapUsed + base.external) };
  console.log(`512 MiB snapshot: peak growth RSS ${(growth.rss / MiB).toFixed(1)} MiB, heap+buffers ${(growth.buffers / MiB).toFixed(1)} MiB (bound ${bound / MiB} MiB)`);
  expect(growth.rss).toBeLessThan(bound);
  expect(growth.buffers).toBeLessThan(bound);
  await store.close();
});
