import { randomInt } from "node:crypto";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import type { LogReader } from "@raft/core/contracts";
import { MemoryLog } from "@raft/core/testing";
import { afterEach, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { SqliteLogStore } from "../src/index.js";
import { checkBuilt, childScript } from "./built.js";
import { NodeChild, stopAllChildren } from "@raft/core/testing";
import { operations, prng } from "./fixtures/workload.mjs";
import { removeTempDirsAfterEach, tempDir } from "./support.js";
import { Index } from "@raft/core/contracts";

// Real crashes: a child process runs a seeded workload of log writes on the
// built store (test/fixtures/log-child.mjs) and reports each acknowledged
// operation; it is killed with SIGKILL at a random moment, and the parent opens
// the file as the restarted node would. The store commits in its writer
// thread while the child's main thread goes on, so a kill lands anywhere in a
// commit, between the commit and its report to the main thread, or between
// writes. The child mostly issues one write at a time and sometimes queues a
// second behind it. The workload is deterministic, so the parent rebuilds, in
// a MemoryLog, the exact log every prefix of it leaves: the file must hold the
// state after the last acknowledged operation, or after one of those in flight
// at the kill (committed but not yet reported), and nothing else: every
// acknowledged entry with its term, kind and payload, the compaction point,
// the hard state last saved, no partial write. Then a new child goes on from
// there on the same file and is killed again.
//
// SIGKILL keeps the page cache, so this checks atomicity and recovery, not
// fsync (which only a power cut tests); synchronous=NORMAL must pass too, and
// alternate runs use it.

const RUNS = 20;
const KILLS_PER_RUN = 2;
/** Writes the child may have issued and not yet reported (see log-child.mjs). */
const MAX_IN_FLIGHT = 2;

const seedText = process.env.SIM_CRASH_SEED;
const baseSeed = seedText === undefined ? randomInt(1, 2 ** 31) : Number(seedText);
if (!Number.isSafeInteger(baseSeed)) throw new Error(`SIM_CRASH_SEED must be an integer, not ${seedText}`);
const nextSeed = prng(baseSeed);
const seeds = Array.from({ length: RUNS }, () => Math.floor(nextSeed() * 2 ** 31));

removeTempDirsAfterEach();
afterEach(stopAllChildren);
beforeAll(() => checkBuilt("sigkill.test.ts"));

describe(`SIGKILL crash tests (SIM_CRASH_SEED=${baseSeed})`, () => {
  for (const [i, seed] of seeds.entries()) {
    const synchronous = i % 2 === 0 ? "FULL" : "NORMAL";
    it(`run #${i + 1}, synchronous=${synchronous}, seed ${seed}`, async (ctx) => {
      const path = join(await tempDir(), "node-1.db");
      const rand = prng(seed ^ 0x2545f491);
      let done = 0;
      for (let kill = 0; kill < KILLS_PER_RUN; kill++) {
        // The first child of a few runs dies while it creates the file: the file must then be absent or a whole empty log.
        const duringCreate = kill === 0 && rand() < 0.2;
        const lines = await runAndKill(ctx, [path, String(seed), String(done), synchronous], rand, duringCreate);
        const acked = lines.filter((l) => l.startsWith("acked ")).map((l) => Number(l.slice(6)));
        expect(acked, "the child acknowledges operations in order from where it started").toEqual(acked.map((_, k) => done + k));
        done = await checkFile(path, seed, done + acked.length);
      }
    });
  }
});

/** Starts a child on the file and kills it at a moment drawn from `rand`; returns the lines it reported. */
async function runAndKill(ctx: TestContext, args: string[], rand: () => number, duringCreate: boolean): Promise<string[]> {
  const child = new NodeChild(childScript, ["work", ...args]);
  ctx.onTestFailed(() => {
    console.error(
      `replay: SIM_CRASH_SEED=${baseSeed} pnpm --filter @raft/log-sqlite exec vitest run test/sigkill.test.ts -t "${ctx.task.name}"\n` +
        `the child (${args.join(" ")}) reported:\n${child.lines.join("\n")}\n${child.stderr}`,
    );
  });
  if (duringCreate) {
    // The store builds a new file under a temporary name (`<path>.<pid>-<random>.new`) and then links it into place.
    // The window is short: under load the poll may miss it, and then the kill lands just after the file was created.
    await waitForEntry(dirname(args[0] as string), (name) => name.endsWith(".new"), child);
    await sleep(Math.floor(20 * rand()));
  } else {
    await child.waitFor((line) => line === "ready", 1);
    await child.waitFor((line) => line.startsWith("acked "), 1 + Math.floor(rand() * 40));
    // Mostly at once, sometimes a little later: inside the next write, or between two.
    await sleep(Math.floor(8 * rand() ** 2));
  }
  const { signal } = await child.kill();
  if (signal !== "SIGKILL") throw new Error(`the child exited by itself before the kill: ${child.stderr}`);
  return child.lines;
}

/** Polls `dir` until a name passes `test`, the child has reported `ready` (so it is past creating the file), or it has exited. */
async function waitForEntry(dir: string, test: (name: string) => boolean, child: NodeChild): Promise<void> {
  while (child.alive && !child.lines.includes("ready") && !(await readdir(dir)).some(test)) await sleep(1);
}

/**
 * Opens the file and checks it holds the log `acknowledged` operations left,
 * or `acknowledged + 1` or `+ 2` (writes in flight that committed before the
 * kill). Returns which, so the next child starts after it.
 */
async function checkFile(path: string, seed: number, acknowledged: number): Promise<number> {
  const store = await SqliteLogStore.open({ path, integrityCheck: "full" });
  try {
    const found = dump(store, await store.loadHardState());
    for (let done = acknowledged; done <= acknowledged + MAX_IN_FLIGHT; done++) if (isDeepStrictEqual(found, modelAfter(seed, done))) return done;
    // None of them: show how the file differs from the acknowledged state.
    expect(found, `neither the state after the ${acknowledged} acknowledged operations nor after one of those in flight`).toEqual(modelAfter(seed, acknowledged));
    throw new Error("unreachable");
  } finally {
    await store.close();
  }
}

/** The log and hard state after the first `count` operations of the workload, as a MemoryLog holds them. */
function modelAfter(seed: number, count: number): ReturnType<typeof dump> {
  const log = new MemoryLog();
  const ops = operations(seed);
  for (let i = 0; i < count; i++) {
    const o = ops.next().value;
    if (o.type === "compact") {
      log.compact(o.index);
      continue;
    }
    if (o.write.reset !== undefined) log.reset(o.write.reset.index, o.write.reset.term);
    log.append(o.write.entries);
    if (o.write.hardState !== undefined) log.hardState = o.write.hardState;
  }
  return dump(log, log.hardState);
}

function dump(log: LogReader, hardState: object) {
  const first = log.firstIndex();
  const last = log.lastIndex();
  return {
    first,
    last,
    compactedTerm: log.term(Index.of(first - 1)),
    hardState: { ...hardState },
    entries: last < first ? [] : log.entries(first, Index.of(last + 1), Infinity).map((e) => `${e.index}/${e.term}/${e.kind}/${Buffer.from(e.data).toString("hex")}`),
  };
}
