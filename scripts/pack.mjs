// Packs the public packages of the workspace the way they are published:
// `pnpm pack` rewrites `workspace:` ranges to real versions. Used by
// `pnpm release` and by the consumer test (apps/consumer-test).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export const root = new URL("..", import.meta.url).pathname;

/** The workspace's public packages: packages/* that are not private, as { name, version, dir }. */
export function publicPackages() {
  const dir = join(root, "packages");
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "package.json")))
    .map((name) => ({ dir: join(dir, name), manifest: JSON.parse(readFileSync(join(dir, name, "package.json"), "utf8")) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ name: manifest.name, version: manifest.version, dir }));
}

/**
 * Packs each package into `dest` and returns the tarball paths by package
 * name. With `build: false` the `prepack` script (clean + build) is skipped
 * and the `dist` already built is packed: the consumer test runs after
 * turbo's builds and must not rebuild packages that other tasks are reading.
 */
export function packAll(dest, { build = true, packages = publicPackages() } = {}) {
  mkdirSync(dest, { recursive: true });
  const tarballs = new Map();
  for (const pkg of packages) {
    const args = ["pack", "--pack-destination", dest, "--json", ...(build ? [] : ["--config.ignore-scripts=true"])];
    const out = execFileSync("pnpm", args, { cwd: pkg.dir, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    // Script output (prepack's build) comes first; the JSON report is the last block.
    const start = out.startsWith("{") ? 0 : out.lastIndexOf("\n{") + 1;
    const json = JSON.parse(out.slice(start));
    tarballs.set(pkg.name, json.filename.startsWith("/") ? json.filename : join(dest, json.filename));
  }
  return tarballs;
}

/** The files of a .tgz (name → contents), read without extracting it. */
export function tarFiles(tarball) {
  const data = gunzipSync(readFileSync(tarball));
  const files = new Map();
  let at = 0;
  let longName;
  while (at + 512 <= data.length) {
    const header = data.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from, len) =>
      header
        .subarray(from, from + len)
        .toString("utf8")
        .replace(/\0.*$/s, "");
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const prefix = field(345, 155);
    let name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    const type = field(156, 1);
    const body = data.subarray(at + 512, at + 512 + size);
    if (type === "L") longName = body.toString("utf8").replace(/\0.*$/s, "");
    else if (type === "0" || type === "") files.set(name.replace(/^package\//, ""), body);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * What a published tarball must hold: a package.json with no `workspace:`
 * range, LICENSE and README, and every file its `exports` map points at
 * (other than the source condition). Returns the problems found.
 */
export function checkTarball(tarball) {
  const files = tarFiles(tarball);
  const problems = [];
  const manifestBytes = files.get("package.json");
  if (manifestBytes === undefined) return ["no package.json"];
  const manifest = JSON.parse(manifestBytes.toString("utf8"));
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) if (String(range).startsWith("workspace:")) problems.push(`${field}.${dep} is ${range}`);
  }
  for (const file of ["LICENSE", "README.md"]) if (!files.has(file)) problems.push(`no ${file}`);
  const targets = [];
  const walk = (value, condition) => {
    if (typeof value === "string") {
      if (condition !== "@raft/source") targets.push(value);
    } else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(manifest.exports);
  for (const target of targets) if (!files.has(target.replace(/^\.\//, ""))) problems.push(`exports target ${target} is not in the tarball`);
  if (manifest.publishConfig?.access !== "public") problems.push("publishConfig.access is not public");
  return problems;
}
