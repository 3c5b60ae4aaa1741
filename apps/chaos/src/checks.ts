import type { SentTransfer } from "./clients.js";

/** Something a correct cluster would never show. */
export interface Anomaly {
  kind: "conservation" | "lost-write" | "wrong-outcome" | "phantom-write" | "balances" | "linearizability" | "liveness" | "convergence" | "client";
  detail: string;
}

/** A request the bank remembers (`GET /requests`). */
export interface AppliedRequest {
  requestId: string;
  index: number;
  ok: boolean;
  error?: string;
}

/** Every balances read must add up to the money in the bank. */
export function checkTotals(totals: readonly { at: number; total: number; client: string }[], expected: number): Anomaly[] {
  return totals
    .filter((t) => t.total !== expected)
    .slice(0, 20)
    .map((t) => ({ kind: "conservation" as const, detail: `client ${t.client} read a total of ${t.total} at ${(t.at / 1000).toFixed(3)} s; the bank holds ${expected}` }));
}

/**
 * Exactly once, nothing unsent: every transfer a client heard a definite
 * answer for is applied once with that outcome and index; every request the
 * bank applied was sent by someone (`known`: the harness's own, such as the
 * account openings); and the final balances are the initial ones moved by
 * exactly the transfers applied ok.
 */
export function checkApplied(
  sent: readonly SentTransfer[],
  applied: readonly AppliedRequest[],
  known: ReadonlySet<string>,
  initial: Readonly<Record<string, number>>,
  final: Readonly<Record<string, number>>,
): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const byId = new Map(applied.map((r) => [r.requestId, r]));
  const sentById = new Map(sent.map((s) => [s.requestId, s]));
  if (byId.size !== applied.length) anomalies.push({ kind: "phantom-write", detail: `${applied.length - byId.size} request ids are remembered more than once` });
  for (const s of sent) {
    if (s.outcome === undefined) continue;
    const r = byId.get(s.requestId);
    if (r === undefined) {
      anomalies.push({ kind: "lost-write", detail: `${s.requestId} (${s.from} → ${s.to}, ${s.amount}) was answered ${s.outcome} at index ${s.index} but is not applied` });
      continue;
    }
    const outcome = r.ok ? "ok" : r.error;
    if (outcome !== s.outcome || r.index !== s.index) {
      anomalies.push({ kind: "wrong-outcome", detail: `${s.requestId}: the client was told ${s.outcome} at index ${s.index}, the bank applied ${outcome} at index ${r.index}` });
    }
  }
  for (const r of applied) {
    if (!sentById.has(r.requestId) && !known.has(r.requestId)) anomalies.push({ kind: "phantom-write", detail: `${r.requestId} is applied (index ${r.index}) but no client sent it` });
  }
  const expected: Record<string, number> = { ...initial };
  for (const r of applied) {
    const s = sentById.get(r.requestId);
    if (s === undefined || !r.ok) continue;
    expected[s.from] = (expected[s.from] ?? 0) - s.amount;
    expected[s.to] = (expected[s.to] ?? 0) + s.amount;
  }
  const ids = new Set([...Object.keys(expected), ...Object.keys(final)]);
  const off = [...ids].filter((id) => expected[id] !== final[id]);
  if (off.length > 0) {
    anomalies.push({
      kind: "balances",
      detail: `final balances are not the initial ones moved by the transfers applied ok: ${off.map((id) => `${id} is ${final[id]}, expected ${expected[id]}`).join("; ")}`,
    });
  }
  return anomalies;
}

/** What each member holds once the cluster settled: `GET /accounts` and `GET /requests` from its local state. */
export interface MemberState {
  id: number;
  index: number;
  accounts: Record<string, number>;
  requests: readonly AppliedRequest[];
}

/** All members hold the same state as the reference (the leader's): same index, balances and requests. */
export function checkConvergence(reference: MemberState, members: readonly MemberState[]): Anomaly[] {
  const digest = (m: MemberState) => JSON.stringify([m.index, Object.entries(m.accounts).sort(), m.requests.map((r) => [r.requestId, r.index, r.ok, r.error ?? ""]).sort()]);
  const want = digest(reference);
  return members
    .filter((m) => digest(m) !== want)
    .map((m) => ({
      kind: "convergence" as const,
      detail: `node ${m.id} holds a different state from node ${reference.id}: index ${m.index} vs ${reference.index}, ${m.requests.length} vs ${reference.requests.length} requests, balances ${JSON.stringify(m.accounts)} vs ${JSON.stringify(reference.accounts)}`,
    }));
}
