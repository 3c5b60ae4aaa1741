import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.js";

// One test file at a time: each end-to-end file runs a cluster of node
// processes, and catch-up-e2e measures the leader's event-loop delay, which
// two other clusters on the same two cores would distort.
export default mergeConfig(shared, defineConfig({ test: { fileParallelism: false } }));
