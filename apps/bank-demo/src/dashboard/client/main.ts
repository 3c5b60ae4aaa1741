/**
 * Entry of the dashboard script: polls GET /cluster and hands each answer to
 * the renderers. The URL is relative, so whichever node serves the page also
 * answers its polls, and the page keeps working behind a proxy.
 */
import type { ClusterView, StatusView } from "../../http/views.js";
import { createCommitRate, renderChart } from "./chart.js";
import { DASH, element, formatRate, isNumber, setAttr, setText } from "./dom.js";
import { renderNodes, renderTransfers } from "./nodes.js";

const POLL_INTERVAL_MS = 500;
// GET /cluster itself waits for every member's /status, so allow it a few of those.
const REQUEST_TIMEOUT_MS = 3000;

const ui = {
  clusterId: element('[data-field="cluster-id"]'),
  servedBy: element('[data-field="served-by"]'),
  connection: element('[data-field="connection"]'),
  leader: element('[data-field="leader"]'),
  term: element('[data-field="cluster-term"]'),
  commit: element('[data-field="cluster-commit"]'),
  nodesUp: element('[data-field="nodes-up"]'),
  nodes: element("[data-nodes]"),
  transfers: element("[data-transfers]"),
  chart: element<SVGSVGElement>('[data-chart="commits"]'),
  rate: element('[data-field="commits-per-second"]'),
};
const commitRate = createCommitRate();

function liveStatuses(view: ClusterView): StatusView[] {
  return view.nodes.flatMap((n) => (n.ok ? [n.status] : []));
}

/** The leader of the highest term: a deposed leader may still claim the role until it hears of the new term. */
function leaderOf(view: ClusterView): StatusView | undefined {
  let leader: StatusView | undefined;
  for (const status of liveStatuses(view)) {
    if (status.role === "leader" && (leader === undefined || status.term > leader.term)) leader = status;
  }
  return leader;
}

function renderSummary(view: ClusterView, leader: StatusView | undefined): void {
  const live = liveStatuses(view);
  const terms = live.map((s) => s.term).filter(isNumber);
  const commits = live.map((s) => s.commitIndex).filter(isNumber);
  setText(ui.clusterId, String(view.clusterId));
  setText(ui.servedBy, `node ${view.self}`);
  setText(ui.leader, leader !== undefined ? `Node ${leader.id}` : "none");
  setText(ui.term, terms.length > 0 ? String(Math.max(...terms)) : DASH);
  setText(ui.commit, commits.length > 0 ? String(Math.max(...commits)) : DASH);
  setText(ui.nodesUp, `${view.nodes.filter((n) => n.ok).length} / ${view.nodes.length}`);
  const title = `${view.clusterId} \u00b7 @raft bank demo`;
  if (document.title !== title) document.title = title;
}

function render(view: ClusterView, now: number): void {
  const leader = leaderOf(view);
  renderSummary(view, leader);
  // The leader's configuration is the newest; a lagging node may still hold an older one.
  renderNodes(ui.nodes, view, leader?.members);
  renderTransfers(ui.transfers, view);
  const commits = liveStatuses(view)
    .map((s) => s.commitIndex)
    .filter(isNumber);
  if (commits.length > 0) commitRate.record(now, Math.max(...commits));
}

function setConnection(state: string, text: string, detail: string): void {
  setAttr(ui.connection, "data-connection", state);
  setText(ui.connection, text);
  setAttr(ui.connection, "title", detail);
}

async function fetchCluster(): Promise<ClusterView> {
  const response = await fetch("./cluster", { cache: "no-store", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GET /cluster answered HTTP ${response.status}`);
  const view = (await response.json()) as ClusterView | null;
  if (view === null || typeof view !== "object" || !Array.isArray(view.nodes)) throw new Error("GET /cluster answered an unexpected body");
  return view;
}

async function poll(): Promise<void> {
  const started = performance.now();
  let view: ClusterView | undefined;
  try {
    view = await fetchCluster();
    setConnection("live", "Live", `Polling every ${POLL_INTERVAL_MS} ms`);
  } catch (error) {
    setConnection("error", "Reconnecting\u2026", error instanceof Error ? error.message : String(error));
  }
  try {
    if (view !== undefined) render(view, performance.now());
    renderChart(ui.chart, commitRate.rates, performance.now());
    setText(ui.rate, formatRate(commitRate.latest()));
  } catch (error) {
    // A rendering bug must be visible (and fail the browser test), yet must not stop the polling.
    reportError(error);
  }
  setTimeout(() => void poll(), Math.max(0, POLL_INTERVAL_MS - (performance.now() - started)));
}

void poll();
