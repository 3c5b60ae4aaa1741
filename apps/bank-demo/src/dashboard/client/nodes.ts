/**
 * Node cards and snapshot-transfer rows. Each card and row is built once,
 * keyed by node id (or transfer), then updated in place, so the page never
 * re-renders wholesale and text selection survives polling.
 */
import type { ClusterMemberView, ClusterView, SnapshotTransferView, StatusView } from "../../http/views.js";
import { DASH, field, formatBytes, formatNumber, h, hostLabel, isNumber, setAttr, setText } from "./dom.js";

type Members = StatusView["members"];

const METRICS: [name: string, label: string, wide?: string][] = [
  ["term", "Term"],
  ["commit", "Commit"],
  ["applied", "Applied"],
  ["log", "Log"],
  ["snapshot", "Snapshot", "wide"],
];

function createCard(id: number): HTMLElement {
  const metrics = METRICS.map(([name, label, wide]) => h("div", wide !== undefined ? { class: wide } : {}, [h("dt", {}, [label]), h("dd", { "data-field": name }, [DASH])]));
  return h("article", { class: "node", "data-node-id": String(id) }, [
    h("div", { class: "node-head" }, [
      h("div", {}, [h("span", { class: "node-name" }, [`Node ${id}`]), h("span", { class: "tag", "data-field": "self", hidden: "" }, ["serving this page"])]),
      h("span", { class: "role", "data-field": "role" }, [DASH]),
    ]),
    h("div", { class: "node-sub" }, [
      h("span", { class: "state", "data-field": "state" }, [DASH]),
      "\u00b7",
      h("span", { class: "member", "data-field": "membership" }, [DASH]),
      "\u00b7",
      h("span", { class: "mono", "data-field": "url" }, [DASH]),
    ]),
    h("dl", { class: "metrics" }, metrics),
    h("p", { class: "node-error", "data-field": "error", hidden: "" }, []),
  ]);
}

function membershipOf(id: number, members: Members | undefined): string {
  if (members === undefined) return DASH;
  if (members.learners.includes(id)) return "learner";
  if (members.voters.includes(id)) return "voter";
  return "not a member";
}

function logLabel(log: StatusView["log"] | undefined): string {
  if (log === undefined || !isNumber(log.firstIndex) || !isNumber(log.lastIndex)) return DASH;
  // After compaction the log may hold nothing beyond the snapshot.
  if (log.lastIndex < log.firstIndex) return `empty (after ${log.lastIndex})`;
  return `${log.firstIndex}..${log.lastIndex}`;
}

function snapshotLabel(snapshot: StatusView["snapshot"] | undefined): string {
  if (snapshot === undefined) return DASH;
  if (snapshot === null) return "none";
  return `#${snapshot.index} \u00b7 ${formatBytes(snapshot.sizeBytes)}`;
}

function updateCard(card: HTMLElement, node: ClusterMemberView, self: number, members: Members | undefined): void {
  const status = node.ok ? node.status : undefined;
  const up = node.ok;
  const role = status !== undefined && typeof status.role === "string" ? status.role : up ? "unknown" : DASH;
  setAttr(card, "data-state", up ? "up" : "down");
  setAttr(card, "data-role", up ? role : "down");
  field(card, "self").hidden = node.id !== self;
  setText(field(card, "role"), role);
  setText(field(card, "state"), up ? "up" : "down");
  const membership = membershipOf(node.id, members ?? status?.members);
  setText(field(card, "membership"), membership);
  setAttr(field(card, "membership"), "data-member", membership);
  setText(field(card, "url"), hostLabel(node.url));
  setAttr(field(card, "url"), "title", String(node.url));
  setText(field(card, "term"), formatNumber(status?.term));
  setText(field(card, "commit"), formatNumber(status?.commitIndex));
  setText(field(card, "applied"), formatNumber(status?.appliedIndex));
  setText(field(card, "log"), logLabel(status?.log));
  setText(field(card, "snapshot"), snapshotLabel(status === undefined ? undefined : status.snapshot));
  const error = field(card, "error");
  error.hidden = up;
  setText(error, node.ok ? "" : node.error || "unreachable");
}

const cards = new Map<number, HTMLElement>();

export function renderNodes(container: HTMLElement, view: ClusterView, members: Members | undefined): void {
  const nodes = [...view.nodes].sort((a, b) => a.id - b.id);
  const seen = new Set<number>();
  nodes.forEach((node, position) => {
    let card = cards.get(node.id);
    if (card === undefined) {
      card = createCard(node.id);
      cards.set(node.id, card);
    }
    seen.add(node.id);
    updateCard(card, node, view.self, members);
    if (container.children[position] !== card) container.insertBefore(card, container.children[position] ?? null);
  });
  for (const [id, card] of cards) {
    if (!seen.has(id)) {
      card.remove();
      cards.delete(id);
    }
  }
}

interface TransferRow {
  key: string;
  reporter: number;
  transfer: SnapshotTransferView;
}

/** Every transfer a live node reports; both ends of one stream report it, each from its side. */
function transfersOf(view: ClusterView): TransferRow[] {
  const list: TransferRow[] = [];
  for (const node of view.nodes) {
    const transfers = node.ok ? node.status.snapshotTransfers : [];
    const counts = new Map<string, number>();
    for (const t of transfers) {
      const base = `${node.id}:${t.direction}:${t.peer}`;
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      list.push({ key: n === 0 ? base : `${base}:${n}`, reporter: node.id, transfer: t });
    }
  }
  return list;
}

function createTransferRow(key: string): HTMLElement {
  return h("div", { class: "transfer", "data-transfer": key }, [
    h("div", { class: "transfer-top" }, [h("strong", { "data-field": "route" }, []), h("span", { class: "dir", "data-field": "direction" }, [])]),
    h("progress", { max: "100", value: "0" }, []),
    h("div", { class: "transfer-bottom" }, [h("span", { class: "pct", "data-field": "percent" }, []), h("span", { "data-field": "bytes" }, [])]),
  ]);
}

const transferRows = new Map<string, HTMLElement>();

export function renderTransfers(container: HTMLElement, view: ClusterView): void {
  const seen = new Set<string>();
  for (const { key, reporter, transfer } of transfersOf(view)) {
    let row = transferRows.get(key);
    if (row === undefined) {
      row = createTransferRow(key);
      transferRows.set(key, row);
      container.append(row);
    }
    seen.add(key);
    const sending = transfer.direction === "send";
    const from = sending ? reporter : transfer.peer;
    const to = sending ? transfer.peer : reporter;
    const total = transfer.bytesTotal;
    const percent = isNumber(total) && total > 0 ? Math.min(100, Math.floor((transfer.bytesDone / total) * 100)) : 0;
    setAttr(row, "data-percent", String(percent));
    setAttr(row, "data-peer", String(transfer.peer));
    setAttr(row, "data-direction", transfer.direction);
    setText(field(row, "route"), `Node ${from} \u2192 Node ${to}`);
    setText(field(row, "direction"), `${sending ? "sending" : "receiving"}, reported by node ${reporter}`);
    setText(field(row, "percent"), `${percent}%`);
    setText(field(row, "bytes"), `${formatBytes(transfer.bytesDone)} / ${formatBytes(total)}`);
    setAttr(row.querySelector("progress"), "value", String(percent));
  }
  for (const [key, row] of transferRows) {
    if (!seen.has(key)) {
      row.remove();
      transferRows.delete(key);
    }
  }
}
