// Writes each package README's options tables from the zod schemas that
// validate those options, so the documentation cannot drift from the code.
// A table lives between two markers naming the built module and the export:
//   <!-- options-table: dist/runtime/index.js raftNodeConfigSchema -->
//   …generated…
//   <!-- /options-table -->
// `--check` changes nothing and fails if a table is out of date (run by `pnpm test`).
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const root = new URL("..", import.meta.url).pathname;
const check = process.argv.includes("--check");
const marker = /<!-- options-table: (\S+) (\S+) -->\n[\s\S]*?<!-- \/options-table -->/g;

/** Markdown cell text: pipes escaped, newlines flattened. */
const cell = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");

function typeOf(p) {
  if (p.enum !== undefined) return p.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (p.anyOf !== undefined) return p.anyOf.map(typeOf).join(" | ");
  if (p.type === "integer" || p.type === "number") {
    const lo = p.minimum !== undefined && p.minimum > Number.MIN_SAFE_INTEGER ? p.minimum : p.exclusiveMinimum;
    const hi = p.maximum !== undefined && p.maximum < Number.MAX_SAFE_INTEGER ? p.maximum : undefined;
    const range = lo !== undefined && hi !== undefined ? ` ${lo}–${hi}` : lo !== undefined ? ` ≥ ${lo}` : hi !== undefined ? ` ≤ ${hi}` : "";
    return `${p.type}${range}`;
  }
  if (p.type === "array") return `${typeOf(p.items ?? {})}[]`;
  if (p.type === "object") return "object";
  return p.title ?? p.type ?? "any";
}

/** A default as code, with bytes also in KiB/MiB/GiB when the option counts bytes. */
function defaultText(name, value) {
  const code = `\`${JSON.stringify(value)}\``;
  if (!/Bytes/.test(name) || typeof value !== "number" || value < 1024) return code;
  for (const [unit, size] of [
    ["GiB", 1 << 30],
    ["MiB", 1 << 20],
    ["KiB", 1 << 10],
  ])
    if (value % size === 0) return `${code} (${value / size} ${unit})`;
  return code;
}

function table(schema, z) {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  const required = new Set(json.required ?? []);
  const rows = Object.entries(json.properties ?? {}).map(([name, p]) => {
    // `defaultText` (zod .meta) describes a default that is not plain data, such as a silent logger.
    const dflt = p.defaultText !== undefined ? p.defaultText : p.default !== undefined ? defaultText(name, p.default) : required.has(name) ? "required" : "—";
    return `| \`${name}\` | ${cell(typeOf(p))} | ${cell(dflt)} | ${cell(p.description ?? "")} |`;
  });
  return ["| option | type | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

let stale = 0;
// A package's README names modules from its own directory; docs/*.md from the repository root.
const documents = [];
for (const group of ["packages", "apps"]) {
  for (const name of readdirSync(join(root, group))) documents.push({ dir: join(root, group, name), readme: join(root, group, name, "README.md") });
}
if (existsSync(join(root, "docs"))) for (const name of readdirSync(join(root, "docs"))) if (name.endsWith(".md")) documents.push({ dir: root, readme: join(root, "docs", name) });
for (const { dir, readme } of documents) {
  {
    if (!existsSync(readme)) continue;
    const text = readFileSync(readme, "utf8");
    const blocks = [...text.matchAll(marker)];
    if (blocks.length === 0) continue;
    let next = text;
    for (const [whole, module, exportName] of blocks) {
      // zod as the package itself resolves it, so schemas and toJSONSchema agree.
      const packageDir = dir === root ? join(root, module.split("/dist/")[0]) : dir;
      const z = createRequire(join(packageDir, "package.json"))("zod");
      const mod = await import(pathToFileURL(join(dir, module)).href);
      const schema = mod[exportName];
      if (schema === undefined) throw new Error(`${readme}: ${module} exports no ${exportName}`);
      next = next.replace(whole, `<!-- options-table: ${module} ${exportName} -->\n${table(schema, z)}\n<!-- /options-table -->`);
    }
    if (next === text) continue;
    if (check) {
      stale++;
      console.error(`${readme}: an options table is out of date; run node scripts/options-tables.mjs`);
    } else {
      writeFileSync(readme, next);
      console.log(`updated ${readme}`);
    }
  }
}
if (stale > 0) process.exitCode = 1;
