import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The package directory. */
export const pkg = fileURLToPath(new URL("..", import.meta.url));

/** The child process script; it loads the built package from dist/. */
export const childScript = join(pkg, "test", "fixtures", "log-child.mjs");

/**
 * The store's writer thread always runs dist/writer-worker.js (Node cannot run
 * a TypeScript worker), and child processes load dist/: fail at once, saying
 * what to run, if there is none. An older dist/ than src/ only warns: turbo
 * restores a cached build with its old times, so the times alone cannot tell
 * a stale build from a touched file.
 */
export async function checkBuilt(testFile: string): Promise<void> {
  const mtimes = async (sub: string, ext: string) => {
    const names = (await readdir(join(pkg, sub)).catch(() => [] as string[])).filter((n) => n.endsWith(ext));
    return Promise.all(names.map(async (n) => (await stat(join(pkg, sub, n))).mtimeMs));
  };
  const built = await mtimes("dist", ".js");
  const sources = await mtimes("src", ".ts");
  const build = "`pnpm turbo run build --filter=@raft/log-sqlite` (turbo builds before this package's tests)";
  if (built.length === 0) throw new Error(`${testFile} runs the built package (its writer thread, child processes), and dist/ is empty: run ${build}`);
  if (Math.max(...sources) > Math.min(...built)) console.warn(`${testFile}: dist/ is older than src/, so the writer thread or a child may run old code; ${build} rebuilds it`);
}
