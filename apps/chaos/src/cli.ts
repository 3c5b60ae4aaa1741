#!/usr/bin/env node
// chaos: a bank cluster of node processes under faults drawn from a seed, then healed and checked.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { writeReport, summary } from "./report.js";
import { runChaos } from "./run.js";

function number(min: number, integer: boolean) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isSafeInteger(n))) throw new InvalidArgumentError(`expected ${integer ? "an integer" : "a number"} ≥ ${min}`);
    return n;
  };
}

const program = new Command("chaos")
  .description("Run a bank cluster of node processes under faults drawn from a seed, heal it, and check what the clients saw. Exits 1 on any anomaly.")
  .option("--minutes <m>", "how long faults are injected", number(0.05, false), 2)
  .option("--seed <s>", "seed of the faults and the clients' requests (default: a random one, printed)", number(0, true))
  .option("--nodes <n>", "founding voters", number(3, true), 5)
  .addOption(new Option("--transport <kind>", "network transport").choices(["grpc", "ws"]).default("grpc"))
  .option("--out <dir>", "the run's folder (default .chaos/<time>-seed-<seed>)")
  .option("--writers <n>", "clients transferring money", number(1, true), 4)
  .option("--readers <n>", "clients reading every balance, and as many reading one account", number(0, true), 2)
  .option("--check-timeout <s>", "time bound of the linearizability check, seconds", number(1, false), 120)
  .option("--keep-data", "keep the nodes' data after a passing run (always kept after a failure)")
  .action(async (o) => {
    const seed: number = o.seed ?? Math.floor(Math.random() * 2 ** 31);
    const out = resolve(o.out ?? `.chaos/${new Date().toISOString().replace(/[:.]/g, "-")}-seed-${seed}`);
    mkdirSync(out, { recursive: true });
    const interrupt = new AbortController();
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => interrupt.abort());
    const result = await runChaos({
      signal: interrupt.signal,
      minutes: o.minutes,
      seed,
      nodes: o.nodes,
      transport: o.transport,
      out,
      writers: o.writers,
      balanceReaders: o.readers,
      accountReaders: o.readers,
      checkTimeoutMs: o.checkTimeout * 1000,
      keepData: o.keepData === true,
      log: (line) => console.log(line),
    });
    writeReport(result);
    console.log(`\n${summary(result)}\n  report: ${resolve(out, "report.html")}`);
    process.exitCode = result.passed ? 0 : 1;
  });

program.parseAsync().catch((error: unknown) => {
  console.error(`chaos: ${(error as Error).stack ?? String(error)}`);
  process.exit(2);
});
