// `pnpm release [--dry-run]`: builds and packs every public package (prepack
// cleans dist and builds), checks each tarball (no workspace: ranges, every
// export target present, LICENSE, README, public access), then, unless
// --dry-run, publishes with `changeset publish` (pnpm publish per package
// whose version is not on the registry yet). Run `pnpm version-packages` first.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { checkTarball, packAll, publicPackages, root, tarFiles } from "./pack.mjs";

const dryRun = process.argv.includes("--dry-run");
const dest = mkdtempSync(join(tmpdir(), "raft-release-"));
const started = Date.now();
let failed = false;
try {
  const packages = publicPackages();
  const tarballs = packAll(dest, { build: true, packages });
  for (const pkg of packages) {
    const tarball = tarballs.get(pkg.name);
    const problems = checkTarball(tarball);
    const kib = (statSync(tarball).size / 1024).toFixed(0);
    console.log(`${problems.length === 0 ? "ok  " : "FAIL"} ${basename(tarball)} (${kib} KiB, ${tarFiles(tarball).size} files)`);
    for (const p of problems) console.log(`     ${p}`);
    if (problems.length > 0) failed = true;
  }
  console.log(`packed ${packages.length} packages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failed) process.exitCode = 1;
  else if (dryRun) console.log("dry run: nothing published");
  else execFileSync("pnpm", ["exec", "changeset", "publish"], { cwd: root, stdio: "inherit" });
} finally {
  rmSync(dest, { recursive: true, force: true });
}
