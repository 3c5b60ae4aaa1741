import { describe } from "vitest";
import { simulateSeeds } from "./seeds.js";

// Seeds 1,501–3,000 over 3-node clusters: a second file so both cores share the work.
describe("simulator: 3 nodes, more seeds", () => simulateSeeds(3, 1501, 1500));
