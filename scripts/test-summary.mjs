// Adds up the vitest JSON reports of every package and prints one closing line.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ["packages", "apps", "examples"]) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    if (!statSync(dir).isDirectory()) continue;
    // test-results.json, and the reports of tests run alone afterwards (test-results-quiet.json).
    for (const report of readdirSync(dir).filter((f) => /^test-results(-[a-z]+)?\.json$/.test(f))) {
      const file = join(dir, report);
      const r = JSON.parse(readFileSync(file, "utf8"));
      passed += r.numPassedTests;
      failed += r.numFailedTests;
      skipped += r.numPendingTests + r.numTodoTests;
      console.log(`${file}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
    }
  }
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
