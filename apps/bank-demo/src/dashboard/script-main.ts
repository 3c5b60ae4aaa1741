/**
 * Browser-side entry of the dashboard script: polls GET /cluster and hands
 * each answer to the renderers. The URL is relative, so whichever node serves
 * the page also answers its polls, and the page keeps working behind a proxy.
 */
export const mainScript = String.raw`
const POLL_INTERVAL_MS = 500;
// GET /cluster itself waits for every member's /status, so allow it a few of those.
const REQUEST_TIMEOUT_MS = 3000;

const ui = {
  clusterId: document.querySelector('[data-field="cluster-id"]'),
  servedBy: document.querySelector('[data-field="served-by"]'),
  connection: document.querySelector('[data-field="connection"]'),
  leader: document.querySelector('[data-field="leader"]'),
  term: document.querySelector('[data-field="cluster-term"]'),
  commit: document.querySelector('[data-field="cluster-commit"]'),
  nodesUp: document.querySelector('[data-field="nodes-up"]'),
  nodes: document.querySelector("[data-nodes]"),
  transfers: document.querySelector("[data-transfers]"),
  chart: document.querySelector('[data-chart="commits"]'),
  rate: document.querySelector('[data-field="commits-per-second"]'),
};
const commitRate = createCommitRate();

function liveStatuses(view) {
  return view.nodes.filter((n) => n.ok && n.status).map((n) => n.status);
}

/** The leader of the highest term: a deposed leader may still claim the role until it hears of the new term. */
function leaderOf(view) {
  let leader;
  for (const status of liveStatuses(view)) {
    if (status.role === "leader" && (!leader || status.term > leader.term)) leader = status;
  }
  return leader;
}

function renderSummary(view, leader) {
  const live = liveStatuses(view);
  const terms = live.map((s) => s.term).filter(isNumber);
  const commits = live.map((s) => s.commitIndex).filter(isNumber);
  setText(ui.clusterId, String(view.clusterId));
  setText(ui.servedBy, "node " + view.self);
  setText(ui.leader, leader ? "Node " + leader.id : "none");
  setText(ui.term, terms.length ? String(Math.max(...terms)) : DASH);
  setText(ui.commit, commits.length ? String(Math.max(...commits)) : DASH);
  setText(ui.nodesUp, view.nodes.filter((n) => n.ok).length + " / " + view.nodes.length);
  const title = view.clusterId + " \u00b7 @raft bank demo";
  if (document.title !== title) document.title = title;
}

function render(view, now) {
  const leader = leaderOf(view);
  renderSummary(view, leader);
  // The leader's configuration is the newest; a lagging node may still hold an older one.
  renderNodes(ui.nodes, view, leader ? leader.members : undefined);
  renderTransfers(ui.transfers, view);
  const commits = liveStatuses(view).map((s) => s.commitIndex).filter(isNumber);
  if (commits.length > 0) commitRate.record(now, Math.max(...commits));
}

function setConnection(state, text, detail) {
  setAttr(ui.connection, "data-connection", state);
  setText(ui.connection, text);
  setAttr(ui.connection, "title", detail);
}

async function fetchCluster() {
  const response = await fetch("./cluster", { cache: "no-store", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) throw new Error("GET /cluster answered HTTP " + response.status);
  const view = await response.json();
  if (!view || !Array.isArray(view.nodes)) throw new Error("GET /cluster answered an unexpected body");
  return view;
}

async function poll() {
  const started = performance.now();
  let view;
  try {
    view = await fetchCluster();
    setConnection("live", "Live", "Polling every " + POLL_INTERVAL_MS + " ms");
  } catch (error) {
    setConnection("error", "Reconnecting\u2026", String((error && error.message) || error));
  }
  try {
    if (view) render(view, performance.now());
    renderChart(ui.chart, commitRate.rates, performance.now());
    setText(ui.rate, formatRate(commitRate.latest()));
  } catch (error) {
    // A rendering bug must be visible (and fail the browser test), yet must not stop the polling.
    reportError(error);
  }
  setTimeout(poll, Math.max(0, POLL_INTERVAL_MS - (performance.now() - started)));
}

poll();
`;
