// Benchmark of the linearizability checker (`pnpm bench`, or after a build
// `pnpm --filter @raft/core bench`): a 100,000-operation key-value history
// from 10 clients, produced by a simulated linearizable store, checked key by
// key; then the same history with one stale read injected, which must be
// found. Compiled against the package's own dist (`@raft/core/testing`), as a
// user would run it. LIN_KEYS (10), LIN_SEED (1) and LIN_LOSS (0.001, the
// share of requests and of answers lost) vary the workload.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Prng } from "@raft/core";
import { SimClock, checkLinearizability, kvModel, linearizabilityHtml, linearizabilityReport, type KvInput, type KvOutput, type Operation } from "@raft/core/testing";

type KvOp = Operation<KvInput, KvOutput>;

const OPERATIONS = 100_000;
const CLIENTS = 10;
const KEYS = Number(process.env.LIN_KEYS ?? 10);
const SEED = Number(process.env.LIN_SEED ?? 1);
const BUDGET_MS = 10_000;
const RUNS = 3;
const LOSS = Number(process.env.LIN_LOSS ?? 0.001);

interface Simulated {
  readonly history: KvOp[];
  /** Operations left open: their request or answer was lost. */
  readonly open: number;
}

/**
 * Clients send requests over a network with random delays to one store that
 * applies each request atomically when it arrives (its linearization point)
 * and answers. A few requests or answers are lost: the client gives up after
 * a timeout and records the operation as open (it took effect iff the
 * request arrived). So the history is linearizable by construction.
 */
function simulate(seed: number): Simulated {
  const prng = new Prng(seed);
  const clock = new SimClock();
  const store = new Map<string, string>();
  const history: KvOp[] = [];
  let issued = 0;
  let open = 0;
  const delay = (): number => 0.2 + prng.next() * prng.next() * 20; // mostly short, sometimes long
  const run = (client: number): void => {
    if (issued >= OPERATIONS) return;
    const seq = issued++;
    const key = `k${prng.int(0, KEYS)}`;
    const r = prng.next();
    const input: KvInput = r < 0.5 ? { op: "get", key } : r < 0.8 ? { op: "put", key, value: `p${seq}` } : { op: "append", key, value: `+${seq}` };
    const invokedAt = clock.now();
    const requestLost = prng.chance(LOSS);
    const answerLost = prng.chance(LOSS);
    if (!requestLost) {
      clock.setTimeout(() => {
        let output: KvOutput | undefined;
        if (input.op === "get") output = store.get(input.key) ?? null;
        else store.set(input.key, input.op === "put" ? input.value : (store.get(input.key) ?? "") + input.value);
        if (answerLost) return;
        clock.setTimeout(() => {
          history.push({ client, input, invokedAt, completedAt: clock.now(), ...(output === undefined ? {} : { output }) });
          clock.setTimeout(() => run(client), prng.next() * 3);
        }, delay());
      }, delay());
    }
    if (requestLost || answerLost) {
      clock.setTimeout(() => {
        open++;
        history.push({ client, input, invokedAt });
        run(client);
      }, 100);
    }
  };
  for (let c = 0; c < CLIENTS; c++) run(c);
  while (clock.fireNext()) {
    // every event runs synchronously
  }
  return { history: history.sort((a, b) => a.invokedAt - b.invokedAt), open };
}

/**
 * A stale read, as a lagging replica would serve it: a late get answers the
 * value of a put P although another write W completed after P and before the
 * get began. Every linearization orders P, W, get, so this is never legal.
 */
function injectStaleRead(history: readonly KvOp[]): { bad: KvOp[]; victim: KvOp } {
  const done = (op: KvOp): op is KvOp & { completedAt: number } => op.completedAt !== undefined;
  for (let g = Math.floor(history.length * 0.9); g < history.length; g++) {
    const get = history[g] as KvOp;
    if (get.input.op !== "get" || !done(get)) continue;
    const key = get.input.key;
    const writes = history.filter((op): op is KvOp & { completedAt: number } => done(op) && op.input.op !== "get" && op.input.key === key && op.completedAt < get.invokedAt);
    const w = writes.reduce<(typeof writes)[number] | undefined>((latest, op) => (latest === undefined || op.completedAt > latest.completedAt ? op : latest), undefined);
    if (w === undefined) continue;
    const p = writes.filter((op) => op.input.op === "put" && op.completedAt < w.invokedAt).at(-1);
    if (p === undefined || p.input.op !== "put") continue;
    const victim: KvOp = { ...get, output: p.input.value };
    return { bad: history.map((op) => (op === get ? victim : op)), victim };
  }
  throw new Error("no get to make stale");
}

function main(): void {
  const kv = kvModel();
  let t = performance.now();
  const { history, open } = simulate(SEED);
  const generatedMs = performance.now() - t;
  console.log(`linearizability: ${history.length.toLocaleString("en")} key-value operations, ${CLIENTS} clients, ${KEYS} key${KEYS === 1 ? "" : "s"}, seed ${SEED}`);
  console.log(`  simulated in ${generatedMs.toFixed(0)} ms; ${open} operations open (request or answer lost)`);

  let failed = false;
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const result = checkLinearizability(kv, history, { timeoutMs: BUDGET_MS });
    times.push(result.elapsedMs);
    if (result.verdict !== "ok") {
      failed = true;
      console.log(`  linearizable history: ${result.verdict} (expected ok)\n${linearizabilityReport(kv, result)}`);
      break;
    }
    if (run === 0) console.log(`  linearizable history: ok, ${result.partitions} parts`);
  }
  console.log(`  check time: ${times.map((ms) => `${ms.toFixed(0)} ms`).join(", ")} (best ${Math.min(...times).toFixed(0)} ms, budget ${BUDGET_MS} ms)`);

  const { bad, victim } = injectStaleRead(history);
  t = performance.now();
  const buggy = checkLinearizability(kv, bad, { timeoutMs: BUDGET_MS });
  const buggyMs = performance.now() - t;
  if (buggy.verdict !== "illegal" || buggy.failure.blocking !== victim) {
    failed = true;
    console.log(`  stale read: ${buggy.verdict} (expected illegal at the injected get)`);
  } else {
    const html = join(tmpdir(), "raft-linearizability-bench.html");
    writeFileSync(html, linearizabilityHtml(kv, buggy, { title: "Stale read injected" }));
    const f = buggy.failure;
    console.log(`  stale read injected: illegal in ${buggyMs.toFixed(0)} ms, found at ${kv.describeOperation?.(victim.input, victim.output)}`);
    console.log(`    part of ${f.operations.length} operations, prefix of ${f.linearized.length}, window of ${f.window.operations.length}; report: ${html}`);
  }
  if (Math.max(...times, buggyMs) > BUDGET_MS) failed = true;
  if (failed) process.exitCode = 1;
}

main();
