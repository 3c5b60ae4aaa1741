import { describe } from "vitest";
import { simulateSeeds } from "./seeds.js";

// 1,400 seeds over 3-node clusters, cycling calm, lossy, partitions, crashes and chaos.
describe("simulator: 3 nodes", () => simulateSeeds(3, 1, 1400));
