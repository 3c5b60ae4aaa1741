import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dashboardCss } from "./styles.js";

/**
 * The dashboard's browser code (src/dashboard/client/, TypeScript checked with
 * the DOM library), bundled by esbuild at build time (scripts/bundle-dashboard.mjs)
 * into one script beside the compiled page module.
 */
export const dashboardBundle = new URL("./dashboard.js", import.meta.url);

/** The page with the built script inlined, read once; a build that has not bundled the script fails here, at startup. */
export function dashboardPage(bundle: URL = dashboardBundle): string {
  let script: string;
  try {
    script = readFileSync(fileURLToPath(bundle), "utf8");
  } catch (error) {
    throw new Error(`the dashboard script is not built (${(error as Error).message}); run pnpm build`);
  }
  return dashboardHtml(script);
}

/** Horizontal grid lines of the commit chart, in its 600 x 160 viewBox. */
const gridLines = [0, 40, 80, 120, 160].map((y) => `<line x1="0" x2="600" y1="${y}" y2="${y}"></line>`).join("");

/**
 * The live dashboard: one self-contained page (inline CSS and JS, no external
 * resources) that any node serves at GET / and that polls the same node's
 * GET /cluster. The markup is static; the script fills it in place.
 *
 * Test hooks: `[data-node-id]` cards with `[data-field]` role, term, commit,
 * applied, log, snapshot, state, membership; `[data-transfer]` rows with
 * `data-percent` and a `<progress>`; `[data-chart="commits"]` with
 * `data-samples`; `[data-field="commits-per-second"]`.
 */
export function dashboardHtml(script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@raft bank demo</title>
<link rel="icon" href="data:,">
<style>${dashboardCss}</style>
</head>
<body>
<main>
  <header class="top">
    <div class="brand"><h1><span class="lib">@raft</span> <span class="sub">bank demo</span></h1></div>
    <div class="meta">
      <span>Cluster <code data-field="cluster-id">&mdash;</code></span>
      <span>Served by <strong data-field="served-by">&mdash;</strong></span>
      <span class="connection" data-field="connection" data-connection="connecting">Connecting&hellip;</span>
    </div>
  </header>

  <section class="summary" aria-label="Cluster summary">
    <div class="tile"><div class="label">Leader</div><div class="value" data-field="leader">&mdash;</div></div>
    <div class="tile"><div class="label">Term</div><div class="value" data-field="cluster-term">&mdash;</div></div>
    <div class="tile"><div class="label">Commit index</div><div class="value" data-field="cluster-commit">&mdash;</div></div>
    <div class="tile"><div class="label">Nodes up</div><div class="value" data-field="nodes-up">&mdash;</div></div>
  </section>

  <section class="nodes" data-nodes aria-label="Nodes"></section>

  <div class="lower">
    <section class="panel" aria-label="Commits per second">
      <div class="panel-head">
        <h2>Commits per second</h2>
        <div class="rate"><span data-field="commits-per-second">0</span><span class="unit">commits/s</span></div>
      </div>
      <div class="chart">
        <div class="y-labels"><span data-axis="max">1</span><span data-axis="mid">0.5</span><span>0</span></div>
        <svg data-chart="commits" data-samples="0" viewBox="0 0 600 160" preserveAspectRatio="none" role="img" aria-label="Commits per second over the last 60 seconds">
          <g class="grid">${gridLines}</g>
          <path class="area" d=""></path>
          <path class="line" d=""></path>
        </svg>
      </div>
      <div class="x-labels"><span>60 s ago</span><span>30 s ago</span><span>now</span></div>
    </section>

    <section class="panel" aria-label="Snapshot transfers">
      <div class="panel-head"><h2>Snapshot transfers</h2></div>
      <div class="transfers" data-transfers><p class="empty">No snapshot transfers in flight.</p></div>
    </section>
  </div>

  <footer>Polls GET /cluster every 500 ms. Every node serves this page; the figures come from each member's GET /status.</footer>
</main>
<script>
${script.replace(/<\/script/gi, "<\\/script")}
</script>
</body>
</html>
`;
}
