import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { ClusterView, StatusView } from "../http/views.js";
import { isRemoved, livePid, markRemoved, readConfigs, seedUrls, stopProcesses } from "../cluster/cluster-layout.js";
import { ApiClient, type ApiResponse } from "./api-client.js";

/** Default deadline of a client command, in seconds (add-node has its own). */
export const defaultTimeoutSeconds = 30;

/** `--url` wins; otherwise the nodes under `--dir` that were not removed. Either is only where the search starts: requests go to the current members. */
export function clientFor(options: { url?: string; dir?: string; timeout?: number }, timeoutSeconds = defaultTimeoutSeconds): ApiClient {
  const deadline = Date.now() + (options.timeout ?? timeoutSeconds) * 1000;
  if (options.url !== undefined) return new ApiClient(options.url.split(","), deadline);
  const dir = resolve(options.dir ?? ".bank-demo");
  const seeds = seedUrls(dir);
  if (seeds.length === 0) throw new Error(`no nodes under ${dir}: start one with bank-demo cluster --dir ${options.dir ?? ".bank-demo"}, or pass --url`);
  return new ApiClient(seeds, deadline);
}

function print(answer: ApiResponse<unknown>): void {
  console.log(JSON.stringify(answer.body, null, 2));
  if (answer.status >= 400) process.exitCode = 1;
}

/** The current members as the leader (or any member) sees them; directory nodes that are no longer members are listed apart, as removed. */
export async function showStatus(client: ApiClient, dir?: string): Promise<void> {
  // Any member says who leads; the leader's view of the membership is the newest.
  const first = await client.request<StatusView>("GET", "/status", undefined, { anyMember: true });
  const leaderUrl = first.body.leaderUrl;
  const fromLeader = leaderUrl === null ? undefined : await client.request<ClusterView>("GET", "/cluster", undefined, { node: leaderUrl, attempts: 1 }).catch(() => undefined);
  const { body } = fromLeader ?? (await client.request<ClusterView>("GET", "/cluster", undefined, { anyMember: true }));
  console.log(`cluster ${body.clusterId}${fromLeader === undefined ? ` (no leader answered: the membership as node ${body.self} knows it)` : ""}`);
  console.log(["node", "url", "role", "term", "commit", "applied", "log", "snapshot"].map((h, i) => (i === 1 ? h.padEnd(24) : h.padEnd(10))).join(" "));
  for (const n of body.nodes) {
    const cells = n.ok ? statusCells(n.id, n.url, n.status) : [String(n.id), n.url ?? "?", `down (${n.error})`];
    console.log(cells.map((c, i) => (i === 1 ? c.padEnd(24) : c.padEnd(10))).join(" "));
  }
  if (dir === undefined) return;
  const members = new Set(body.nodes.map((n) => n.id));
  const gone = [...readConfigs(resolve(dir)).keys()].filter((id) => !members.has(id));
  if (gone.length > 0)
    console.log(`not members: ${gone.map((id) => `node ${id} (${isRemoved(resolve(dir), id) ? "removed" : "never added or removed elsewhere"})`).join(", ")}; their directories under ${dir} are kept`);
}

function statusCells(id: number, url: string | null, s: StatusView): string[] {
  return [
    String(id),
    url ?? "?",
    s.role,
    String(s.term),
    String(s.commitIndex),
    String(s.appliedIndex),
    `${s.log.firstIndex}..${s.log.lastIndex}`,
    s.snapshot === null ? "-" : `${s.snapshot.index} (${s.snapshot.sizeBytes} B)`,
  ];
}

/** Opens an account under one request id, so retries (after a leader change, say) open it at most once. */
export async function openAccount(client: ApiClient, id: string, balance: number): Promise<void> {
  print(await client.request("POST", "/accounts", { id, balance, requestId: `open-${randomUUID()}` }));
}

/** A transfer under one request id: every retry (same id) applies it at most once, and the answer is the original outcome. */
export async function transfer(client: ApiClient, from: string, to: string, amount: number, requestId = randomUUID()): Promise<void> {
  const answer = await client.request("POST", "/transfers", { requestId, from, to, amount });
  print({ ...answer, body: { requestId, ...answer.body } });
}

export async function balances(client: ApiClient, stale: boolean): Promise<void> {
  print(await client.request("GET", `/accounts${stale ? "?consistency=stale" : ""}`, undefined, { anyMember: stale }));
}

/** Snapshots `node`, or by default the leader. */
export async function snapshot(client: ApiClient, node?: string): Promise<void> {
  const target = node ?? (await client.leaderStatus()).leaderUrl ?? undefined;
  print(await client.request("POST", "/admin/snapshot", undefined, target === undefined ? {} : { node: target }));
}

/** Removes node `id` from the membership (idempotent: a node already gone answers 200), then stops its process and marks its directory removed. */
export async function removeNode(client: ApiClient, id: number, dir?: string): Promise<void> {
  const answer = await client.request("POST", "/admin/members", { action: "remove", id });
  print(answer);
  if (answer.status !== 200 || dir === undefined) return;
  const abs = resolve(dir);
  if (!readConfigs(abs).has(id)) return;
  markRemoved(abs, id);
  const pid = livePid(abs, id);
  if (pid !== undefined) {
    await stopProcesses([pid]);
    console.log(`stopped node ${id} (pid ${pid}); its directory stays, marked removed`);
  }
}

/** Hands leadership to `to`: succeeds at once if it already leads; fails promptly (TransferDropped) if the leader gives the transfer up. */
export async function transferLeadership(client: ApiClient, to: number): Promise<void> {
  print(await client.request("POST", "/admin/leadership", { to }));
}
