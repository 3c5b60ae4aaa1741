import { describe } from "vitest";
import { simulateSeeds } from "./seeds.js";

// 1,500 seeds over 5-node clusters, cycling calm, lossy, partitions, crashes and chaos; membership changes in calm, partitions and chaos.
describe("simulator: 5 nodes", () => simulateSeeds(5, 1, 1500));
