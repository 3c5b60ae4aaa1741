import { describe } from "vitest";
import { simulateSeeds } from "./seeds.js";

// Seeds 701–1,400 over 3-node clusters: a second file so both cores share the work.
describe("simulator: 3 nodes, more seeds", () => simulateSeeds(3, 701, 700));
