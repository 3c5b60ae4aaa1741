import { describe, expect, it } from "vitest";
import { replayCommand, runSimulation } from "../../src/testing/index.js";

/**
 * Seeds outside the ranges the other files run that a hand sweep
 * (`sim:sweep`) once saw fail, each for a bug or a setting since fixed.
 * They run in every test run, so none of those comes back unseen.
 */
const found: readonly { nodes: number; seed: number; why: string }[] = [
  { nodes: 3, seed: 3487, why: "catch-up pacing paid for reads it threw away and ran up seconds of debt" },
  { nodes: 3, seed: 9574, why: "proposals of a partitioned leader outlived the new term's snapshot" },
  { nodes: 3, seed: 51466, why: "one entry per round trip needs the longer heal phase" },
  { nodes: 5, seed: 1564, why: "at the slowest pacing, catching up several followers takes most of two seconds" },
  { nodes: 5, seed: 1735, why: "catch-up pacing ran up a debt" },
  { nodes: 5, seed: 2044, why: "catch-up pacing ran up a debt" },
  { nodes: 5, seed: 2842, why: "catch-up pacing ran up a debt" },
  { nodes: 5, seed: 3487, why: "catch-up pacing ran up a debt" },
];

describe("simulator: seeds found by hand sweeps", () => {
  for (const { nodes, seed, why } of found) {
    it(`${nodes} nodes, seed ${seed} (${why})`, async () => {
      const r = await runSimulation({ seed, nodes });
      expect([...r.violations.map((v) => `${v.property}: ${v.detail}`), ...r.liveness], replayCommand(r)).toEqual([]);
    });
  }
});
