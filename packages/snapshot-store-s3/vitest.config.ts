import { defineConfig, type ViteUserConfig } from "vitest/config";
import shared from "../../vitest.shared.js";

// The shared config, less the "module" condition: with it, Vite hands Node the
// AWS SDK's dist-es builds (ESM without file extensions), which Node cannot load.
const conditions = ["@raft/source", "node", "development|production"];

const config: ViteUserConfig = defineConfig({
  ...shared,
  resolve: { ...shared.resolve, conditions },
  ssr: { ...shared.ssr, resolve: { ...shared.ssr?.resolve, conditions } },
});
export default config;
