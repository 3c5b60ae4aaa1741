// Every TypeScript code block in the READMEs and docs is compiled: each one is
// preceded by a marker naming the file it is taken from,
//   <!-- snippet: examples/readme/src/core-usage.ts -->        the `readme` region (or the whole file)
//   <!-- snippet: examples/kv/src/kv.ts#listen -->             the region named `listen`
// and those files are type-checked against the built packages (by the
// typecheck of examples/readme, examples/kv, ...). A region runs from
// `// #region <name>` to the next `// #endregion`; other region markers inside
// it are left out.
//   node scripts/readme-snippets.mjs           rewrite the blocks from their files
//   node scripts/readme-snippets.mjs --check   fail on a block that differs, or one with no marker
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const check = process.argv.includes("--check");
const marker = /^<!-- snippet: (\S+?)(?:#([\w-]+))? -->$/;
const fence = /^```(ts|typescript|js|javascript|tsx)\s*$/;

function markdownFiles() {
  const files = ["README.md"];
  for (const group of ["packages", "apps", "examples"]) {
    if (!existsSync(join(root, group))) continue;
    for (const name of readdirSync(join(root, group))) if (existsSync(join(root, group, name, "README.md"))) files.push(join(group, name, "README.md"));
  }
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== "api") walk(join(dir, entry.name));
      else if (entry.name.endsWith(".md")) files.push(join(dir, entry.name));
    }
  };
  if (existsSync(join(root, "docs"))) walk("docs");
  return files.filter((f) => existsSync(join(root, f)));
}

function region(file, name) {
  const path = join(root, file);
  if (!existsSync(path)) throw new Error(`${file} does not exist`);
  const lines = readFileSync(path, "utf8").replace(/\n$/, "").split("\n");
  const isMarker = (l) => /^\s*\/\/ #(end)?region\b/.test(l);
  if (!lines.some(isMarker)) return lines.join("\n");
  const start = lines.findIndex((l) => l.trim() === `// #region ${name ?? "readme"}`);
  if (start < 0) throw new Error(`${file} has no region ${name ?? "readme"}`);
  let end = start + 1;
  for (let depth = 1; end < lines.length; end++) {
    if (/^\s*\/\/ #region\b/.test(lines[end])) depth++;
    else if (/^\s*\/\/ #endregion\b/.test(lines[end]) && --depth === 0) break;
  }
  const body = lines.slice(start + 1, end).filter((l) => !isMarker(l));
  const indent = Math.min(...body.filter((l) => l.trim() !== "").map((l) => l.match(/^ */)[0].length));
  return body.map((l) => l.slice(indent)).join("\n");
}

let problems = 0;
let blocks = 0;
for (const file of markdownFiles()) {
  const path = join(root, file);
  const lines = readFileSync(path, "utf8").split("\n");
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    if (!fence.test(lines[i])) continue;
    const close = lines.findIndex((l, j) => j > i && l.startsWith("```"));
    let prev = i - 1;
    while (prev >= 0 && lines[prev].trim() === "") prev--;
    const m = prev >= 0 ? marker.exec(lines[prev].trim()) : null;
    blocks++;
    if (m === null) {
      console.error(`${file}:${i + 1}: a ${lines[i].slice(3)} block with no <!-- snippet: file --> marker: move it into a compiled file`);
      problems++;
      i = close;
      continue;
    }
    let expected;
    try {
      expected = region(m[1], m[2]);
    } catch (e) {
      console.error(`${file}:${prev + 1}: ${e.message}`);
      problems++;
      i = close;
      continue;
    }
    const actual = lines.slice(i + 1, close).join("\n");
    if (actual !== expected) {
      if (check) {
        console.error(`${file}:${i + 1}: differs from ${m[1]}${m[2] ? `#${m[2]}` : ""}; run node scripts/readme-snippets.mjs`);
        problems++;
      } else {
        lines.splice(i + 1, close - i - 1, ...expected.split("\n"));
        changed = true;
        console.log(`updated ${file}:${i + 1} from ${m[1]}`);
      }
    }
    i = lines.findIndex((l, j) => j > i && l.startsWith("```"));
  }
  if (changed) writeFileSync(path, lines.join("\n"));
}
if (check) console.log(`readme snippets: ${blocks} code blocks, ${problems} problem(s) (${relative(process.cwd(), root) || "."})`);
process.exit(problems > 0 ? 1 : 0);
