import { describe } from "vitest";
import { simulateSeeds } from "./seeds.js";

// Seeds 1–1,500 over 3-node clusters (1,501–3,000 run in three-nodes-more), cycling calm,
// lossy, partitions, crashes and chaos; membership changes in calm, partitions and chaos.
describe("simulator: 3 nodes", () => simulateSeeds(3, 1, 1500));
