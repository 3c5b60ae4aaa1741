import { randomInt } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { manifestDigest, snapshotId, type SnapshotMeta } from "@raft/core/contracts";
import { afterEach, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { DiskSnapshotStore } from "../src/index.js";
import { NodeChild, stopAllChildren } from "@raft/core/testing";
import { fileBytes, firstIndex, prng, receivedFiles, takenFiles, type FileSpec } from "./fixtures/content.mjs";
import { draft, entries, manifest, sha256 } from "./support.js";

// Real crashes: a child process works the built store (test/fixtures/crash-child.mjs)
// and is killed with SIGKILL at a random moment; the parent then opens the
// directory as the restarted node would and checks what the child reported
// against what is there. SIGKILL keeps the page cache, so these find ordering
// and recovery bugs, not missing fsyncs (the fault-hook tests copy the
// directory at chosen instants for those).

const RUNS = 20;
const pkg = fileURLToPath(new URL("..", import.meta.url));
const child = join(pkg, "test", "fixtures", "crash-child.mjs");

const seedText = process.env.SIM_CRASH_SEED;
const baseSeed = seedText === undefined ? randomInt(1, 2 ** 31) : Number(seedText);
if (!Number.isSafeInteger(baseSeed)) throw new Error(`SIM_CRASH_SEED must be an integer, not ${seedText}`);
const nextSeed = prng(baseSeed);
const seeds = (n: number) => Array.from({ length: n }, () => Math.floor(nextSeed() * 2 ** 31));

const dirs: string[] = [];
afterEach(async () => {
  await stopAllChildren();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

beforeAll(checkBuilt);

describe(`SIGKILL crash tests (SIM_CRASH_SEED=${baseSeed})`, () => {
  for (const [i, seed] of seeds(RUNS).entries()) {
    it(`take #${i + 1}, seed ${seed}`, async (ctx) => {
      const { dir, lines } = await runAndKill(ctx, "take", seed, takePlan);
      await checkTake(dir, lines, seed);
    });
  }
  for (const [i, seed] of seeds(RUNS).entries()) {
    it(`receive #${i + 1}, seed ${seed}`, async (ctx) => {
      const { dir, lines } = await runAndKill(ctx, "receive", seed, receivePlan);
      await checkReceive(dir, lines, seed);
    });
  }
});

/**
 * When to kill: after 1 to `max` lines of one kind, drawn from `after`, and
 * then 0 to `maxDelayMs` more (mostly short), so the kill lands inside the
 * step the line announces or a later one. Kinds that mark the start of a
 * commit or a prune aim at the short windows where a crash does the most harm.
 */
interface KillPlan {
  readonly after: readonly { readonly line: RegExp; readonly max: number }[];
  readonly maxDelayMs: number;
}

const takePlan: KillPlan = {
  after: [
    { line: /^committing /, max: 4 },
    { line: /^committed /, max: 4 },
    { line: /^pruned/, max: 4 },
  ],
  maxDelayMs: 40,
};

const receivePlan: KillPlan = {
  after: [
    { line: /^(resumed|receiving) /, max: 14 },
    { line: /^(resumed|receiving) /, max: 14 },
    { line: /^committing /, max: 1 },
  ],
  maxDelayMs: 25,
};

/** Runs the child in a new directory and kills it at a moment drawn from `seed`; returns what it reported. */
async function runAndKill(ctx: TestContext, mode: "take" | "receive", seed: number, plan: KillPlan): Promise<{ dir: string; lines: string[] }> {
  const rand = prng(seed);
  const dir = await mkdtemp(join(tmpdir(), "raft-sigkill-"));
  dirs.push(dir);
  const proc = new NodeChild(child, [dir, mode, String(seed)]);
  ctx.onTestFailed(() => {
    console.error(
      `replay: SIM_CRASH_SEED=${baseSeed} pnpm --filter @raft/snapshot-store-disk exec vitest run test/sigkill.test.ts -t "${ctx.task.name}"\n` +
        `the child (${mode} ${seed}) reported:\n${proc.lines.join("\n")}\n${proc.stderr}`,
    );
  });
  await proc.waitFor((line) => line.startsWith("ready "), 1);
  const after = plan.after[Math.floor(rand() * plan.after.length)] as KillPlan["after"][number];
  await proc.waitFor((line) => after.line.test(line), 1 + Math.floor(rand() * after.max));
  await sleep(Math.floor(plan.maxDelayMs * rand() ** 2));
  const { code, signal } = await proc.kill();
  // Only a reception ends by itself, after its commit; anything else is the child failing.
  if (signal !== "SIGKILL" && !(mode === "receive" && code === 0)) throw new Error(`the child exited with ${code ?? signal}: ${proc.stderr}`);
  expect(proc.lines[0]).toMatch(/^ready /);
  return { dir, lines: proc.lines };
}

const filesOf = (specs: readonly FileSpec[]) => specs.map((s) => ({ name: s.name, size: s.size, sha256: sha256(fileBytes(s)) }));

async function checkTake(dir: string, lines: readonly string[], seed: number): Promise<void> {
  const reported = lines.filter((l) => l.startsWith("committed ")).map((l) => ({ index: Number(l.split(" ")[1]), id: l.split(" ")[2] ?? "" }));
  const prunes = lines.filter((l) => l.startsWith("pruned"));
  const pruned = new Set(prunes.flatMap((l) => l.split(" ").slice(1)));
  // A kill between a commit's report and its prune's leaves that prune in flight: it may or may not have removed the third newest.
  const pruneInFlight = prunes.length < reported.length;
  const next = (reported.at(-1)?.index ?? firstIndex(seed) - 1) + 1;

  const store = await DiskSnapshotStore.open({ dir });
  try {
    for (const sub of ["tmp", "partial", "quarantine"]) expect(await entries(join(dir, sub)), sub).toEqual([]);
    const list = await store.list();
    expect((await entries(join(dir, "snapshots"))).sort()).toEqual(list.map((m) => m.id).sort());
    // Whatever is listed is whole: the manifest describes its index's content exactly, and the bytes match.
    for (const meta of list) {
      expect({ term: meta.term, files: meta.files }).toEqual({ term: 1, files: filesOf(takenFiles(meta.index)) });
      await store.verify(meta.id);
    }
    const listed = new Set(list.map((m) => m.id));
    for (const [k, r] of reported.entries()) {
      if (pruned.has(r.id)) expect(listed.has(r.id), `${r.id} was reported pruned`).toBe(false);
      else if (k >= reported.length - 2) expect(listed.has(r.id), `${r.id} was reported committed`).toBe(true);
      else expect(pruneInFlight && k === reported.length - 3, `${r.id} outlived the prunes reported after it`).toBe(true);
    }
    // Unreported, only the commit the kill interrupted between its rename and its report.
    for (const m of list.filter((m) => !reported.some((r) => r.id === m.id))) expect(m.index, `${m.id} was never reported`).toBe(next);
    const latest = await store.latest();
    expect(latest).toEqual(list[0]);
    if (latest !== undefined) expect(latest.id === reported.at(-1)?.id || latest.index === next, "latest: the newest reported, or the one after").toBe(true);

    // The restarted node takes the interrupted snapshot again: the same id, whether or not the crash published it.
    const files = takenFiles(next);
    const writer = await store.create(draft(next));
    for (const spec of files) await writer.write(spec.name, fileBytes(spec));
    const again = await writer.commit();
    expect(again.id).toBe(snapshotId(next, 1, manifestDigest(filesOf(files))));
    await store.verify(again.id);
  } finally {
    await store.close();
  }
}

async function checkReceive(dir: string, lines: readonly string[], seed: number): Promise<void> {
  const specs = receivedFiles(seed);
  const data = specs.map(fileBytes);
  const meta: SnapshotMeta = manifest(5, 2, Object.fromEntries(specs.map((s, i) => [s.name, data[i] as Uint8Array])));
  expect(lines[0]).toBe(`ready ${meta.id}`);
  const flushed = Math.max(0, ...lines.filter((l) => l.startsWith("receiving ")).map((l) => Number(l.split(" ")[2])));
  const committed = lines.includes(`committed 5 ${meta.id}`);

  const store = await DiskSnapshotStore.open({ dir });
  try {
    for (const sub of ["tmp", "quarantine"]) expect(await entries(join(dir, sub)), sub).toEqual([]);
    const list = await store.list();
    if (committed) expect(list).toEqual([meta]);
    else expect(list.length === 0 || (list.length === 1 && list[0]?.id === meta.id), "only the received snapshot can be listed").toBe(true);
    if (list.length === 1) {
      await store.verify(meta.id);
      expect(await entries(join(dir, "partial"))).toEqual([]);
      expect((await entries(join(dir, "snapshots", meta.id))).sort()).toEqual(["files", "manifest.json"]);
    } else if (flushed > 0) {
      expect(await entries(join(dir, "partial")), "resume state").toEqual([meta.id]);
    }

    // A new receive() resumes at or past the last reported flush, never past the end of a file.
    const { writer, progress } = await store.receive(meta);
    let start = 0;
    for (const [i, spec] of specs.entries()) {
      const have = progress.get(spec.name) ?? 0;
      expect(have, spec.name).toBeLessThanOrEqual(spec.size);
      expect(have, spec.name).toBeGreaterThanOrEqual(Math.min(spec.size, Math.max(0, flushed - start)));
      start += spec.size;
      const bytes = data[i] as Uint8Array;
      for (let pos = have; pos < spec.size; pos += 1 << 20) await writer.write(spec.name, bytes.subarray(pos, Math.min(spec.size, pos + (1 << 20))));
    }
    expect(await writer.commit()).toEqual(meta);
    await store.verify(meta.id);
    expect(await store.list()).toEqual([meta]);
    expect(await store.latest()).toEqual(meta);
    expect(await entries(join(dir, "partial"))).toEqual([]);
    // Nothing of the reception's bookkeeping travels into the committed snapshot.
    expect((await entries(join(dir, "snapshots", meta.id))).sort()).toEqual(["files", "manifest.json"]);
    expect((await entries(join(dir, "snapshots", meta.id, "files"))).sort()).toEqual(specs.map((s) => s.name).sort());
  } finally {
    await store.close();
  }
}

/**
 * The child loads dist/: fail at once, saying what to run, if there is none.
 * An older dist/ than src/ only warns: turbo restores a cached build with its
 * old times, so the times alone cannot tell a stale build from a touched file.
 */
async function checkBuilt(): Promise<void> {
  const mtimes = async (sub: string, ext: string) => {
    const names = (await entries(join(pkg, sub))).filter((n) => n.endsWith(ext));
    return Promise.all(names.map(async (n) => (await stat(join(pkg, sub, n))).mtimeMs));
  };
  const built = await mtimes("dist", ".js");
  const sources = await mtimes("src", ".ts");
  const build = "`pnpm turbo run build --filter=@raft/snapshot-store-disk` (turbo builds before this package's tests)";
  if (built.length === 0) throw new Error(`the crash tests run the built package, and dist/ is empty: run ${build}`);
  if (Math.max(...sources) > Math.min(...built)) console.warn(`sigkill.test.ts: dist/ is older than src/, so the crash child may run old code; ${build} rebuilds it`);
}
