import { defineConfig } from "vitest/config";

// Tests run against the TypeScript sources of workspace packages (the
// "@raft/source" export condition), so no build is needed before testing.
const conditions = ["@raft/source", "module", "node", "development|production"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@raft/source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    server: { deps: { inline: [/@raft\//] } },
    reporters: ["default", "json"],
    outputFile: { json: "test-results.json" },
  },
});
