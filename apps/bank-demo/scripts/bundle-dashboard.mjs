// Bundles the dashboard's browser code (src/dashboard/client/main.ts and what it
// imports) into one script, dist/dashboard/dashboard.js, which the page inlines.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("../src/dashboard/client/main.ts", import.meta.url).pathname],
  outfile: new URL("../dist/dashboard/dashboard.js", import.meta.url).pathname,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["chrome110", "firefox110", "safari16"],
  legalComments: "none",
  logLevel: "warning",
});
