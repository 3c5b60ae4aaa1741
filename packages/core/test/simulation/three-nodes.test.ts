import { describe } from "vitest";
import { simulateSeeds } from "./seeds.js";

// Seeds 1–700 over 3-node clusters (701–1,400 run in three-nodes-more), cycling calm,
// lossy, partitions, crashes and chaos; membership changes in calm, partitions and chaos.
describe("simulator: 3 nodes", () => simulateSeeds(3, 1, 700));
