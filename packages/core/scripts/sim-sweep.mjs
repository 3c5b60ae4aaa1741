// Runs simulator seeds beyond the ones `pnpm test` runs, and prints each failure
// with the command that replays it. Run `pnpm --filter @raft/core build` first.
//   pnpm --filter @raft/core sim:sweep --nodes 3 --from 3001 --count 5000
import { parseArgs } from "node:util";
import { replayCommand, runSimulation } from "../dist/testing/index.js";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "3" },
    from: { type: "string", default: "1" },
    count: { type: "string", default: "1000" },
  },
});
const [nodes, from, count] = [values.nodes, values.from, values.count].map(Number);
if (![nodes, from, count].every((n) => Number.isSafeInteger(n) && n > 0)) {
  console.error("--nodes, --from and --count take positive integers");
  process.exit(2);
}

const started = Date.now();
let failing = 0;
for (let seed = from; seed < from + count; seed++) {
  const r = await runSimulation({ seed, nodes });
  if (r.ok) continue;
  failing++;
  const why = [...r.violations.map((v) => `${v.property} at ${v.at}ms: ${v.detail}`), ...r.liveness].join("; ");
  console.log(`seed ${seed} (${r.mix}): ${why.slice(0, 400)}\n  replay: ${replayCommand(r)}`);
}
console.log(`${nodes} nodes, seeds ${from}..${from + count - 1}: ${failing} failing (${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exitCode = failing > 0 ? 1 : 0;
