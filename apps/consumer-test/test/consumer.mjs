// The consumer test: the packages used the way a user uses them, not through
// the workspace. Packs every public package (the dist turbo just built), then,
// in projects under the OS temp directory, outside the workspace:
//   kv:         npm installs @raft/core, log-sqlite, transport-grpc and
//               snapshot-store-disk from the tarballs (their own dependencies
//               from the registry), type-checks examples/kv and runs it: a real
//               3-node cluster on 127.0.0.1;
//   in-process: npm installs @raft/core alone (vitest is NOT installed),
//               type-checks examples/in-process and runs it.
// Writes test-results.json in vitest's shape for scripts/test-summary.mjs.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { checkTarball, packAll, root } from "../../../scripts/pack.mjs";

const here = new URL("..", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "raft-consumer-"));
const results = [];
const started = Date.now();

/** One step, timed; a failure is recorded and ends the run. */
function step(name, fn) {
  const t = Date.now();
  try {
    fn();
    results.push({ name, ok: true, ms: Date.now() - t });
    console.log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false, ms: Date.now() - t });
    console.log(`FAIL ${name}\n${e.stdout ?? ""}${e.stderr ?? ""}${e.stack ?? e}`);
    throw e;
  }
}

const run = (cmd, args, cwd, timeout = 180_000) => execFileSync(cmd, args, { cwd, encoding: "utf8", timeout, stdio: ["ignore", "pipe", "pipe"] });
/** The version the workspace resolves for a package, so the temp projects test with the same toolchain. */
const workspaceVersion = (name, from = here) => JSON.parse(readFileSync(createRequire(join(from, "package.json")).resolve(`${name}/package.json`), "utf8")).version;

/** A project outside the workspace that depends on the given tarballs, with an example's source in src/. */
function project(name, tarballs, example) {
  const dir = join(work, name);
  mkdirSync(join(dir, "src"), { recursive: true });
  const dependencies = Object.fromEntries([...tarballs].map(([pkg, file]) => [pkg, `file:${file}`]));
  const devDependencies = { typescript: workspaceVersion("typescript"), "@types/node": workspaceVersion("@types/node") };
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `consumer-${name}`, private: true, type: "module", dependencies, devDependencies }, null, 2));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noUncheckedIndexedAccess: true,
          outDir: "dist",
          rootDir: "src",
          types: ["node"],
          skipLibCheck: false,
        },
        include: ["src"],
      },
      null,
      2,
    ),
  );
  cpSync(join(root, "examples", example, "src"), join(dir, "src"), { recursive: true });
  return dir;
}

/**
 * npm install from the tarballs. better-sqlite3 compiles from source with
 * node-gyp when no prebuilt binary can be downloaded; its install script is
 * skipped and the binary the workspace built for the same version and Node
 * is copied in, else it is rebuilt (slow, but what a user without prebuilt
 * binaries gets).
 */
function install(dir) {
  run("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], dir, 300_000);
  const installed = join(dir, "node_modules", "better-sqlite3");
  if (!existsSync(installed)) return;
  const version = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).version;
  const ours = dirname(createRequire(join(root, "packages", "log-sqlite", "package.json")).resolve("better-sqlite3/package.json"));
  const binary = join(ours, "build", "Release", "better_sqlite3.node");
  if (workspaceVersion("better-sqlite3", join(root, "packages", "log-sqlite")) === version && existsSync(binary)) {
    mkdirSync(join(installed, "build", "Release"), { recursive: true });
    cpSync(binary, join(installed, "build", "Release", "better_sqlite3.node"));
  } else run("npm", ["rebuild", "better-sqlite3"], dir, 600_000);
}

let failed = false;
try {
  let tarballs;
  step("pack every public package", () => {
    tarballs = packAll(join(work, "tarballs"), { build: false });
  });
  step("tarballs: no workspace: ranges, every export target, LICENSE, README", () => {
    const problems = [...tarballs].flatMap(([name, file]) => checkTarball(file).map((p) => `${name}: ${p}`));
    if (problems.length > 0) throw new Error(problems.join("\n"));
  });
  const pick = (...names) => new Map(names.map((n) => [n, tarballs.get(n)]));

  const kv = project("kv", pick("@raft/core", "@raft/log-sqlite", "@raft/transport-grpc", "@raft/snapshot-store-disk"), "kv");
  step("kv: npm install the tarballs outside the workspace", () => install(kv));
  step("kv: type-check and build examples/kv against the installed packages", () => run(join(kv, "node_modules", ".bin", "tsc"), ["-p", "."], kv));
  step("kv: run a 3-node cluster on 127.0.0.1 (gRPC, SQLite, disk snapshots)", () => console.log(`     ${run("node", ["dist/kv.js"], kv, 60_000).trim()}`));

  const inProcess = project("in-process", pick("@raft/core"), "in-process");
  step("in-process: npm install @raft/core alone", () => install(inProcess));
  step("in-process: vitest is not installed", () => {
    if (existsSync(join(inProcess, "node_modules", "vitest"))) throw new Error("vitest was installed");
  });
  step("in-process: type-check and build examples/in-process", () => run(join(inProcess, "node_modules", ".bin", "tsc"), ["-p", "."], inProcess));
  step("in-process: run it with @raft/core/testing and no test runner", () => console.log(`     ${run("node", ["dist/in-process.js"], inProcess, 60_000).trim()}`));
} catch {
  failed = true;
} finally {
  rmSync(work, { recursive: true, force: true });
  const passed = results.filter((r) => r.ok).length;
  writeFileSync(
    join(here, "test-results.json"),
    JSON.stringify({ numPassedTests: passed, numFailedTests: results.length - passed, numPendingTests: 0, numTodoTests: 0, testResults: results }, null, 2),
  );
  console.log(`consumer test: ${passed} passed, ${results.length - passed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
process.exit(failed ? 1 : 0);
