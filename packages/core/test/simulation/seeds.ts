import { expect, it } from "vitest";
import { replayCommand, runSimulation } from "../../src/testing/index.js";

/**
 * Registers simulator runs for seeds [from, from + count), in chunks of 100,
 * each seed with its fault mix chosen from the seed. A failure lists every
 * failing seed with the one command that replays it.
 */
export function simulateSeeds(nodes: number, from: number, count: number): void {
  const chunk = 100;
  for (let start = from; start < from + count; start += chunk) {
    const end = Math.min(start + chunk, from + count);
    it(`${nodes} nodes, seeds ${start}..${end - 1}: safe under faults, converges after healing`, async () => {
      const failures: string[] = [];
      for (let seed = start; seed < end; seed++) {
        const r = await runSimulation({ seed, nodes });
        if (!r.ok) {
          const why = [...r.violations.map((v) => `${v.property} at ${v.at}ms: ${v.detail}`), ...r.liveness].slice(0, 3).join("; ");
          failures.push(`seed ${seed} (${r.mix}): ${why}\n  replay: ${replayCommand(r)}`);
        }
      }
      expect(failures, failures.join("\n")).toEqual([]);
    });
  }
}
