import { createHash } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Prng } from "@raft/core/testing";
import type { SnapshotFileStream } from "@raft/core/contracts";
import { expect, it } from "vitest";
import { ACCOUNTS_FILE, BankStateMachine, DEFAULT_DEDUP_CAPACITY, DEFAULT_SNAPSHOT_CHUNK_BYTES, HEADER_FILE, REQUESTS_FILE, SNAPSHOT_FORMAT, type BankCommand } from "../src/index.js";
import { bytes, deposit, Feeder, metaAt, open, transfer } from "./support/bank.js";
import { Index } from "@raft/core/contracts";

// A million accounts: snapshot chunks stay bounded, the snapshot streams
// without copying the state or buffering a file, and restore parses the
// stream as it comes. Figures are printed, not asserted (the machine is shared).

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const MiB = 1 << 20;
const ACCOUNTS = 1_000_000;

/** A snapshot of ACCOUNTS accounts generated line by line, to load the first machine quickly. */
function generated(): SnapshotFileStream {
  const balance = (i: number) => (i % 1000) * 100;
  let total = 0;
  for (let i = 0; i < ACCOUNTS; i++) total += balance(i);
  const header = { format: SNAPSHOT_FORMAT, appliedIndex: 1, accounts: ACCOUNTS, total, requests: 0, dedupCapacity: DEFAULT_DEDUP_CAPACITY };
  async function* lines(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < ACCOUNTS; i += 10_000) {
      let piece = "";
      for (let j = i; j < i + 10_000; j++) piece += `["acct-${j}",${balance(j)}]\n`;
      yield bytes(piece);
    }
  }
  return (async function* () {
    yield {
      name: HEADER_FILE,
      chunks: (async function* () {
        yield bytes(`${JSON.stringify(header)}\n`);
      })(),
    };
    yield { name: ACCOUNTS_FILE, chunks: lines() };
    yield { name: REQUESTS_FILE, chunks: (async function* () {})() };
  })();
}

function randomCommands(prng: Prng, n: number, tag: string, opened: { next: number }): BankCommand[] {
  return Array.from({ length: n }, (_, i) => {
    const a = `acct-${prng.int(0, ACCOUNTS)}`;
    const b = `acct-${prng.int(0, ACCOUNTS)}`;
    if (i % 10 === 0) return open(`${tag}-${i}`, `new-${opened.next++}`, 500);
    return a === b ? deposit(`${tag}-${i}`, a, 1) : transfer(`${tag}-${i}`, a, b, prng.int(1, 200));
  });
}

async function snapshotDigest(sm: BankStateMachine): Promise<string> {
  const h = createHash("sha256");
  for (const f of sm.snapshot().files) for await (const c of f.chunks()) h.update(c);
  return h.digest("hex");
}

const heapUsed = () => process.memoryUsage().heapUsed;
const seconds = (from: number) => ((performance.now() - from) / 1000).toFixed(2);

it("snapshots and restores a million accounts in bounded chunks and bounded memory", async () => {
  const a = new BankStateMachine();
  let t = performance.now();
  await a.restore(metaAt(Index.of(1)), generated());
  const restoreGenerated = seconds(t);
  expect(a.accountCount()).toBe(ACCOUNTS);

  // Real traffic on top: transfers, deposits, new accounts; 20,000 requests remembered.
  const feed = new Feeder(a);
  feed.next = 2;
  const prng = new Prng(5);
  const opened = { next: 0 };
  for (let b = 0; b < 4; b++) feed.apply(...randomCommands(prng, 5000, `warm${b}`, opened));
  expect(a.requestCount()).toBe(20_000);

  // 1. Stream a snapshot to nowhere: measure size, chunk sizes, time and the heap it retains.
  gc();
  const base = heapUsed();
  let peak = base;
  let peakWithGarbage = base;
  const digest = createHash("sha256");
  let chunks = 0;
  let size = 0;
  let largest = 0;
  t = performance.now();
  const view = a.snapshot();
  for (const f of view.files) {
    for await (const c of f.chunks()) {
      chunks++;
      size += c.length;
      largest = Math.max(largest, c.length);
      digest.update(c);
      peakWithGarbage = Math.max(peakWithGarbage, heapUsed());
      if (chunks % 64 === 0) {
        gc();
        peak = Math.max(peak, heapUsed());
      }
    }
  }
  const snapshotTime = seconds(t);
  gc();
  peak = Math.max(peak, heapUsed());
  expect(largest).toBeLessThanOrEqual(DEFAULT_SNAPSHOT_CHUNK_BYTES);
  expect(size).toBeGreaterThan(20 * MiB);
  // The state is ~100 MiB of heap and the file ~24 MiB: a copy of either would show far above this.
  expect(peak - base).toBeLessThan(size / 2);

  // Encoding is canonical: equal snapshot bytes mean equal states (accounts, requests, applied index).
  const expected = digest.digest("hex");

  // 2. Pipe a second snapshot (same state) straight into another machine's restore while the first keeps applying.
  const expectedTotal = a.total();
  const b = new BankStateMachine();
  gc();
  const beforeRestore = heapUsed();
  let interleaved = 0;
  const live = a.snapshot();
  const piped: SnapshotFileStream = (async function* () {
    for (const f of live.files) {
      yield {
        name: f.name,
        chunks: (async function* () {
          for await (const c of f.chunks()) {
            expect(c.length).toBeLessThanOrEqual(DEFAULT_SNAPSHOT_CHUNK_BYTES);
            yield c;
            feed.apply(...randomCommands(prng, 10, `live${interleaved++}`, opened));
          }
        })(),
      };
    }
  })();
  t = performance.now();
  await b.restore(metaAt(a.appliedIndex()), piped);
  const restoreTime = seconds(t);
  gc();
  const restoredHeap = heapUsed() - beforeRestore;
  expect(interleaved).toBeGreaterThan(300);
  expect(a.total()).not.toBe(expectedTotal);
  expect(await snapshotDigest(b)).toBe(expected);
  expect(b.request("warm3-4999")).toEqual(a.request("warm3-4999"));

  console.info(
    [
      `1M accounts: restore from a generated stream ${restoreGenerated} s`,
      `snapshot ${(size / MiB).toFixed(1)} MiB in ${chunks} chunks (largest ${largest} B), streamed in ${snapshotTime} s, heap while streaming: retained +${((peak - base) / MiB).toFixed(1)} MiB, peak with garbage +${((peakWithGarbage - base) / MiB).toFixed(1)} MiB`,
      `restore piped with ${interleaved} interleaved batches ${restoreTime} s; restored state +${(restoredHeap / MiB).toFixed(1)} MiB heap`,
    ].join("\n"),
  );
});
