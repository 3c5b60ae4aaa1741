/**
 * The dashboard's stylesheet, inlined into the page. Role colours are CSS
 * variables so a card, its role pill and the legend always agree; numbers use
 * tabular figures so values that change every poll do not shift the layout.
 */
export const dashboardCss = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f5f6f8;
  --panel: #ffffff;
  --border: #e2e5ea;
  --text: #151b26;
  --muted: #5f6b7d;
  --faint: #98a2b3;
  --leader: #0e9f6e;
  --follower: #2f6fde;
  --candidate: #d97706;
  --pre-candidate: #b7950b;
  --learner: #7c3aed;
  --down: #d92d20;
  --chart: #2f6fde;
  --radius: 10px;
  --mono: ui-monospace, "SF Mono", "JetBrains Mono", Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f131a;
    --panel: #171c25;
    --border: #283040;
    --text: #e6e9ef;
    --muted: #9aa4b5;
    --faint: #5d6778;
    --chart: #5b93f5;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-variant-numeric: tabular-nums;
  -webkit-font-smoothing: antialiased;
}
main { max-width: 1180px; margin: 0 auto; padding: 24px 24px 40px; }
h1, h2 { margin: 0; font-weight: 600; }
h2 { font-size: 13px; letter-spacing: .04em; text-transform: uppercase; color: var(--muted); }
code, .mono { font-family: var(--mono); font-size: 13px; }

/* Header */
.top { display: flex; align-items: center; justify-content: space-between; gap: 16px; flex-wrap: wrap; margin-bottom: 20px; }
.brand { display: flex; align-items: baseline; gap: 10px; }
.brand h1 { font-size: 20px; }
.brand .lib { color: var(--leader); }
.brand .sub { color: var(--muted); font-size: 15px; }
.meta { display: flex; align-items: center; gap: 18px; color: var(--muted); flex-wrap: wrap; }
.meta strong, .meta code { color: var(--text); }
.connection { display: inline-flex; align-items: center; gap: 6px; font-weight: 500; }
.connection::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--faint); }
.connection[data-connection="live"] { color: var(--leader); }
.connection[data-connection="live"]::before { background: var(--leader); box-shadow: 0 0 0 3px color-mix(in srgb, var(--leader) 20%, transparent); }
.connection[data-connection="error"] { color: var(--down); }
.connection[data-connection="error"]::before { background: var(--down); }

/* Summary tiles */
.summary { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin-bottom: 16px; }
.tile { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); padding: 12px 16px; }
.tile .label { color: var(--muted); font-size: 12px; }
.tile .value { font-size: 22px; font-weight: 600; margin-top: 2px; }

/* Node cards */
.nodes { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; margin-bottom: 16px; }
.node {
  --role: var(--follower);
  position: relative;
  background: var(--panel);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  padding: 14px 16px 12px;
  overflow: hidden;
  transition: border-color .3s, opacity .3s;
}
.node::before { content: ""; position: absolute; inset: 0 0 auto 0; height: 3px; background: var(--role); }
.node[data-role="leader"] { --role: var(--leader); border-color: var(--leader); box-shadow: 0 0 0 1px var(--leader), 0 6px 18px -10px var(--leader); }
.node[data-role="candidate"] { --role: var(--candidate); }
.node[data-role="pre-candidate"] { --role: var(--pre-candidate); }
.node[data-role="learner"] { --role: var(--learner); }
.node[data-state="down"] { --role: var(--down); opacity: .78; border-style: dashed; }
.node-head { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
.node-name { font-size: 16px; font-weight: 600; }
.tag { margin-left: 8px; padding: 1px 7px; border-radius: 999px; font-size: 11px; color: var(--muted); border: 1px solid var(--border); vertical-align: 2px; }
.role {
  padding: 2px 10px;
  border-radius: 999px;
  font-size: 12px;
  font-weight: 600;
  color: var(--role);
  background: color-mix(in srgb, var(--role) 13%, transparent);
}
.node-sub { display: flex; align-items: center; gap: 6px; margin: 6px 0 10px; color: var(--muted); font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.state { display: inline-flex; align-items: center; gap: 5px; font-weight: 600; color: var(--leader); }
.state::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: currentColor; }
.node[data-state="down"] .state { color: var(--down); }
.node[data-state="down"] .role { color: var(--faint); background: none; }
.member[data-member="learner"] { color: var(--learner); font-weight: 600; }
.metrics { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px 12px; margin: 0; }
.metrics div { min-width: 0; }
.metrics .wide { grid-column: span 2; }
.metrics dt { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
.metrics dd { margin: 0; font-family: var(--mono); font-size: 14px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.node-error { margin: 10px 0 0; padding: 6px 8px; border-radius: 6px; font-family: var(--mono); font-size: 12px; color: var(--down); background: color-mix(in srgb, var(--down) 9%, transparent); }

/* Bottom row: chart and transfers */
.lower { display: grid; grid-template-columns: 3fr 2fr; gap: 12px; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); padding: 14px 16px; min-width: 0; }
.panel-head { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; margin-bottom: 10px; }
.rate { font-size: 22px; font-weight: 600; }
.rate .unit { margin-left: 4px; font-size: 12px; font-weight: 400; color: var(--muted); }
.chart { display: grid; grid-template-columns: auto 1fr; gap: 8px; }
.y-labels { display: flex; flex-direction: column; justify-content: space-between; text-align: right; color: var(--faint); font-size: 11px; min-width: 2ch; }
.chart svg { display: block; width: 100%; height: 170px; }
.chart .grid line { stroke: var(--border); stroke-width: 1; vector-effect: non-scaling-stroke; }
.chart .line { fill: none; stroke: var(--chart); stroke-width: 2; stroke-linejoin: round; vector-effect: non-scaling-stroke; }
.chart .area { fill: color-mix(in srgb, var(--chart) 14%, transparent); stroke: none; }
.x-labels { display: flex; justify-content: space-between; margin-left: calc(2ch + 8px); color: var(--faint); font-size: 11px; }

.transfers { display: flex; flex-direction: column; gap: 12px; }
.empty { margin: 0; color: var(--faint); }
.transfers:has(.transfer) .empty { display: none; }
.transfer-top { display: flex; justify-content: space-between; gap: 8px; font-size: 13px; }
.transfer-top .dir { color: var(--muted); font-size: 12px; }
.transfer progress { width: 100%; height: 8px; margin: 6px 0 2px; appearance: none; -webkit-appearance: none; border: 0; border-radius: 999px; background: var(--border); overflow: hidden; }
.transfer progress::-webkit-progress-bar { background: var(--border); border-radius: 999px; }
.transfer progress::-webkit-progress-value { background: var(--follower); border-radius: 999px; transition: width .4s ease; }
.transfer progress::-moz-progress-bar { background: var(--follower); border-radius: 999px; }
.transfer-bottom { display: flex; justify-content: space-between; color: var(--muted); font-size: 12px; font-family: var(--mono); }
.transfer-bottom .pct { color: var(--text); font-weight: 600; }

footer { margin-top: 18px; color: var(--faint); font-size: 12px; text-align: center; }
@media (max-width: 820px) {
  .summary { grid-template-columns: repeat(2, 1fr); }
  .lower { grid-template-columns: 1fr; }
}
`;
