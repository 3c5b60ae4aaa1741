import { expect, it } from "vitest";
import { faultMixNames, runSimulation, type FaultMixName } from "../../src/testing/index.js";

// Replays one seed with a full trace: SIM_SEED=… SIM_NODES=… SIM_MIX=… SIM_LEASE=0|1
const seed = Number(process.env.SIM_SEED ?? 1);
const mix = (process.env.SIM_MIX ?? faultMixNames[seed % faultMixNames.length]) as FaultMixName;

it(`replays simulator seed ${seed}`, async () => {
  const lines: string[] = [];
  const result = await runSimulation({
    seed,
    nodes: Number(process.env.SIM_NODES ?? 3),
    mix,
    leaseRead: process.env.SIM_LEASE === undefined ? undefined : process.env.SIM_LEASE === "1",
    trace: (l) => lines.push(l),
  });
  if (process.env.SIM_VERBOSE !== "0") console.log(lines.join("\n"));
  console.log(JSON.stringify({ ...result, violations: undefined, liveness: undefined }));
  expect(result.violations).toEqual([]);
  expect(result.liveness).toEqual([]);
});
