import type { LinearizabilityFailure, LinearizabilityResult } from "./check.js";
import type { ClientId } from "./history.js";
import type { Model } from "./model.js";
import { describer, formatInterval, formatTime, linearizabilityReport, partName } from "./report-text.js";

/** Pixels per distinct instant, per lane, and for the client column. */
const COLUMN = 110;
const LANE = 34;
const LABEL = 120;

/**
 * The verdict as a self-contained HTML page (inline CSS and script, nothing
 * fetched). For a failure it draws the failing window on a time line, one
 * row per client, each operation a bar from invocation to completion (open
 * ones run off the end): the linearizable prefix numbered in linearization
 * order, the operations that could not be placed in red, and the completion
 * that cannot be passed as a line. Hovering an operation shows the state
 * after it and highlights the prefix up to it. The text report follows.
 */
export function linearizabilityHtml<S, I, O>(model: Model<S, I, O>, result: LinearizabilityResult<S, I, O>, options: { readonly title?: string } = {}): string {
  const title = options.title ?? "Linearizability check";
  const verdict = result.verdict === "ok" ? "Linearizable" : result.verdict === "illegal" ? "Not linearizable" : "Unknown: the time bound ran out";
  const body = result.verdict === "illegal" ? timeline(model, result.failure, result.partitions) : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(`${title}: ${verdict}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}: <span class="verdict ${result.verdict}">${escapeHtml(verdict)}</span></h1>
${body}
<h2>Report</h2>
<pre class="report">${escapeHtml(linearizabilityReport(model, result))}</pre>
</body>
</html>
`;
}

function timeline<S, I, O>(model: Model<S, I, O>, f: LinearizabilityFailure<S, I, O>, partitions: number): string {
  const describe = describer(model);
  const ops = f.window.operations;
  const position = new Map(f.linearized.map((l, i) => [l.operation, i]));
  const stateAfter = new Map(f.linearized.map((l) => [l.operation, l.state]));
  const unplaced = new Set(f.unplaced);

  // Instants are spaced evenly whatever the gaps between them: the order is what matters. The line starts
  // at the window: what began before it starts at the left edge (open to the left), drawn dashed.
  const { from } = f.window;
  const times = ops.flatMap((op) => (op.completedAt === undefined ? [op.invokedAt] : [op.invokedAt, op.completedAt]));
  const instants = [...new Set(times.filter((t) => t >= from))].sort((a, b) => a - b);
  const rank = new Map(instants.map((t, i) => [t, i]));
  const xOf = (t: number): number => (t < from ? LABEL + 8 : LABEL + COLUMN * ((rank.get(t) ?? instants.length) + 0.5));
  const width = LABEL + COLUMN * (instants.length + 1);

  // One row per client; an open operation and the client's next ones overlap, so a row may need lanes.
  const rows = new Map<ClientId, { lanes: number[]; bars: string[] }>();
  for (const client of [...new Set(ops.map((op) => op.client))].sort(compareClients)) rows.set(client, { lanes: [], bars: [] });
  const data = ops.map((op, i) => {
    const row = rows.get(op.client) ?? { lanes: [], bars: [] };
    const start = xOf(op.invokedAt);
    const stop = op.completedAt === undefined ? width - 8 : xOf(op.completedAt);
    // A bar is at least 24 px wide; an instantaneous one is centred on its instant.
    const barWidth = Math.max(24, stop - start);
    const left = stop - start >= 24 ? start : (start + stop) / 2 - 12;
    let lane = row.lanes.findIndex((end) => end < left);
    if (lane === -1) lane = row.lanes.push(0) - 1;
    row.lanes[lane] = left + barWidth;
    const p = position.get(op);
    const kind = op === f.blocking ? "blocking" : unplaced.has(op) ? "unplaced" : p === undefined ? "pending" : "linearized";
    const text = describe.operation(op);
    row.bars.push(
      `<div class="op ${kind}${op.completedAt === undefined ? " open" : ""}${op.invokedAt < from ? " earlier" : ""}" tabindex="0" data-i="${i}" title="${escapeHtml(text)}" style="left:${left - LABEL}px;width:${barWidth}px;top:${lane * LANE + 4}px">` +
        `${p === undefined ? "" : `<b class="badge">${p + 1}</b>`}<span>${escapeHtml(text)}</span></div>`,
    );
    const state = stateAfter.get(op);
    return { client: String(op.client), interval: formatInterval(op), text, position: p ?? -1, kind, state: state === undefined ? null : describe.state(state) };
  });

  const axis = instants.map((t) => `<span style="left:${xOf(t) - LABEL}px">${escapeHtml(formatTime(t))}</span>`).join("");
  const cut = f.blocking.completedAt === undefined ? "" : `<div class="cut" style="left:${xOf(f.blocking.completedAt)}px" title="no linearization gets past this completion"></div>`;
  const rowHtml = [...rows].map(
    ([client, row]) =>
      `<div class="row"><div class="who">client ${escapeHtml(String(client))}</div><div class="track" style="height:${Math.max(1, row.lanes.length) * LANE + 8}px">${row.bars.join("")}</div></div>`,
  );
  return `<p class="summary">${escapeHtml(partName(partitions, f.partition))}: ${f.operations.length} operations. Longest linearizable prefix: ${f.linearized.length}; ${f.unplaced.length} could not be placed after it. The failing window [${escapeHtml(formatTime(f.window.from))}, ${escapeHtml(formatTime(f.window.to))}] holds ${ops.length} operations.</p>
<p class="legend"><span class="op linearized"><b class="badge">n</b>linearized, n-th</span> <span class="op unplaced">could not be placed</span> <span class="op blocking">its completion cannot be passed</span> <span class="op pending open">outcome unknown, left out</span></p>
<p>State after the prefix: <code>${escapeHtml(describe.state(f.state))}</code></p>
<div class="scroll"><div class="timeline" style="width:${width}px"><div class="axis">${axis}</div>${rowHtml.join("")}${cut}</div></div>
<div id="details" class="details">Hover or focus an operation to see the state after it.</div>
<script type="application/json" id="ops">${jsonForScript(data)}</script>
<script>${SCRIPT}</script>`;
}

function compareClients(a: ClientId, b: ClientId): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), "en", { numeric: true });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot end the script element it sits in. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d232b; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
.verdict.ok { color: #18794e; } .verdict.illegal { color: #c2261d; } .verdict.unknown { color: #a35a00; }
code, pre { font: 12.5px/1.45 ui-monospace, monospace; } pre.report { background: #f6f7f9; padding: 12px; overflow-x: auto; }
.scroll { overflow-x: auto; border: 1px solid #d9dde3; border-radius: 6px; }
.timeline { position: relative; padding-bottom: 6px; }
.axis { position: relative; height: 24px; margin-left: ${LABEL}px; border-bottom: 1px solid #d9dde3; color: #5b6573; font-size: 11px; }
.axis span { position: absolute; top: 4px; transform: translateX(-50%); }
.row { display: flex; border-bottom: 1px dashed #eceff3; }
.who { flex: 0 0 ${LABEL}px; padding: 10px 8px; color: #5b6573; font-size: 12px; box-sizing: border-box; }
.track { position: relative; flex: 1; }
.op { position: absolute; height: ${LANE - 8}px; box-sizing: border-box; border-radius: 4px; padding: 0 6px; font-size: 12px; line-height: ${LANE - 10}px;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; border: 1px solid; cursor: default; }
.legend .op { position: static; display: inline-block; margin-right: 8px; }
.op.linearized { background: #e3f4ea; border-color: #5fb383; }
.op.unplaced { background: #fde8e6; border-color: #e0756c; }
.op.blocking { background: #fbd3cf; border: 2px solid #c2261d; font-weight: 600; }
.op.pending { background: #f1f3f5; border-color: #9aa4b1; color: #5b6573; }
.op.earlier { border-left-style: dashed; border-top-left-radius: 0; border-bottom-left-radius: 0; }
.op.open { border-right-style: dashed; background-image: linear-gradient(to right, transparent 70%, #fff); }
.op:focus, .op:hover { outline: 2px solid #2f6fde; z-index: 2; overflow: visible; }
.badge { display: inline-block; min-width: 16px; margin-right: 5px; padding: 0 4px; border-radius: 8px; background: #18794e; color: #fff; font-size: 10px; line-height: 16px; text-align: center; }
.tracing .op.linearized:not(.upto) { opacity: .3; }
.cut { position: absolute; top: 24px; bottom: 0; width: 0; border-left: 2px dashed #c2261d; }
.details { position: sticky; bottom: 0; margin-top: 12px; padding: 10px 12px; background: #fff; border: 1px solid #d9dde3; border-radius: 6px; min-height: 24px; }
.details p { margin: 2px 0; } .details b { display: inline-block; min-width: 90px; color: #5b6573; font-weight: 500; }
`;

// Plain browser script: fills the details panel and traces the prefix up to the operation under the pointer.
const SCRIPT = `
(() => {
  const ops = JSON.parse(document.getElementById("ops").textContent);
  const panel = document.getElementById("details");
  const bars = Array.from(document.querySelectorAll(".timeline .op"));
  const show = (i) => {
    const op = ops[i];
    panel.textContent = "";
    const add = (label, value) => {
      const p = document.createElement("p");
      const b = document.createElement("b");
      b.textContent = label;
      p.append(b, " ", value);
      panel.append(p);
    };
    add("client", op.client);
    add("interval", op.interval);
    add("operation", op.text);
    add("placement", op.position >= 0 ? "#" + (op.position + 1) + " of the linearizable prefix" : op.kind === "blocking" ? "could not be placed; no linearization gets past its completion" : op.kind === "pending" ? "outcome unknown; left out of the prefix" : "could not be placed");
    if (op.state !== null) add("state after", op.state);
    for (const bar of bars) {
      const other = ops[Number(bar.dataset.i)];
      bar.classList.toggle("upto", op.position >= 0 && other.position >= 0 && other.position <= op.position);
    }
    document.body.classList.toggle("tracing", op.position >= 0);
  };
  for (const bar of bars) {
    bar.addEventListener("mouseenter", () => show(Number(bar.dataset.i)));
    bar.addEventListener("focus", () => show(Number(bar.dataset.i)));
  }
})();
`;
