// The CI chaos run: five bank node processes (SQLite log, disk snapshots,
// gRPC), every Raft connection through a TCP proxy per ordered pair, under
// faults drawn from a fixed seed for two minutes (CHAOS_MINUTES, CHAOS_SEED
// and CHAOS_TRANSPORT change that), then healed and checked: the total in
// every read, every acknowledged transfer applied once and nothing unsent,
// the history linearizable, a write acknowledged within 5 s of the heal,
// every member on the same state. The run's folder (history.json,
// report.html, and after a failure the nodes' data) is
// apps/chaos/test-output/seed-<seed>/; the summary is printed either way.
// About 2.5 minutes.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it, vi } from "vitest";
import { summary, writeReport } from "../src/report.js";
import { runChaos } from "../src/run.js";

vi.setConfig({ testTimeout: 10 * 60_000 });

const minutes = Number(process.env.CHAOS_MINUTES ?? 2);
const seed = Number(process.env.CHAOS_SEED ?? 20261206);
const transport = process.env.CHAOS_TRANSPORT === "ws" ? "ws" : "grpc";

it(`survives ${minutes} minutes of faults from seed ${seed} and passes every check`, async () => {
  const out = join(fileURLToPath(new URL("../test-output", import.meta.url)), `seed-${seed}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await runChaos({ minutes, seed, nodes: 5, transport, out });
  writeReport(result);
  const text = summary(result);
  console.log(text);
  expect(result.anomalies, `${text}\n${result.logTails}`).toEqual([]);
  expect(result.passed).toBe(true);
  // It did what it says: faults of many kinds and a real workload checked (floors well below what a loaded
  // 2-core machine reaches: 40–55 faults and 1,000–6,000 acknowledged transfers in 2 minutes).
  expect(result.faults.length).toBeGreaterThanOrEqual(15 * minutes);
  expect(Object.keys(result.faultCounts).length).toBeGreaterThanOrEqual(6);
  expect(result.linearizability?.verdict).toBe("ok");
  expect(result.history.transfers.filter((t) => t.outcome === "ok").length).toBeGreaterThan(200 * minutes);
  expect(result.history.totals.length).toBeGreaterThan(50 * minutes);
  expect(result.recoveryMs).toBeLessThan(5_000);
});
