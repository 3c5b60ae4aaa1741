import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { httpUrlOf } from "../config/node-config.js";
import { isAlive, readConfigs, readPids } from "../cluster/cluster-layout.js";
import type { ClusterView, StatusView } from "../http/views.js";
import { ApiClient, type ApiResponse } from "./api-client.js";

/** `--url` wins; otherwise every node found under `--dir`. */
export function clientFor(options: { url?: string; dir?: string }): ApiClient {
  if (options.url !== undefined) return new ApiClient(options.url.split(","));
  const configs = readConfigs(resolve(options.dir ?? ".bank-demo"));
  return new ApiClient([...configs.values()].map((c) => httpUrlOf(`${c.host ?? "127.0.0.1"}:${c.port}`)));
}

function print(answer: ApiResponse<unknown>): void {
  console.log(JSON.stringify(answer.body, null, 2));
  if (answer.status >= 400) process.exitCode = 1;
}

export async function showStatus(client: ApiClient): Promise<void> {
  const { body } = await client.request<ClusterView>("GET", "/cluster");
  console.log(`cluster ${body.clusterId}`);
  console.log(["node", "url", "role", "term", "commit", "applied", "log", "snapshot"].map((h, i) => (i === 1 ? h.padEnd(24) : h.padEnd(10))).join(" "));
  for (const n of body.nodes) {
    const cells = n.ok ? statusCells(n.id, n.url, n.status) : [String(n.id), n.url ?? "?", `down (${n.error})`];
    console.log(cells.map((c, i) => (i === 1 ? c.padEnd(24) : c.padEnd(10))).join(" "));
  }
}

function statusCells(id: number, url: string | null, s: StatusView): string[] {
  return [String(id), url ?? "?", s.role, String(s.term), String(s.commitIndex), String(s.appliedIndex), `${s.log.firstIndex}..${s.log.lastIndex}`, s.snapshot === null ? "-" : `${s.snapshot.index} (${s.snapshot.sizeBytes} B)`];
}

export async function openAccount(client: ApiClient, id: string, balance: number): Promise<void> {
  print(await client.request("POST", "/accounts", { id, balance, requestId: `open-${randomUUID()}` }));
}

/** Retries a transfer that got no definite answer with the same requestId: it applies at most once. */
export async function transfer(client: ApiClient, from: string, to: string, amount: number, requestId = randomUUID()): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await client.request("POST", "/transfers", { requestId, from, to, amount });
      if (answer.status !== 503 || attempt >= 5) return print({ ...answer, body: { requestId, ...(answer.body as object) } });
    } catch (error) {
      if (attempt >= 5) throw error;
    }
    await new Promise((r) => setTimeout(r, 200 * attempt));
  }
}

export async function balances(client: ApiClient, stale: boolean): Promise<void> {
  print(await client.request("GET", `/accounts${stale ? "?consistency=stale" : ""}`));
}

/** Snapshots `node`, or by default the leader (found through any node's status). */
export async function snapshot(client: ApiClient, node?: string): Promise<void> {
  const target = node ?? (await client.request<{ role: string; leaderUrl: string | null; id: number }>("GET", "/status")).body.leaderUrl ?? undefined;
  print(await client.request("POST", "/admin/snapshot", undefined, target === undefined ? {} : { node: target }));
}

export async function removeNode(client: ApiClient, id: number, dir?: string): Promise<void> {
  const answer = await client.request("POST", "/admin/members", { action: "remove", id });
  print(answer);
  if (answer.status !== 200 || dir === undefined) return;
  const pid = readPids(resolve(dir)).get(id);
  if (pid !== undefined && isAlive(pid)) {
    process.kill(pid, "SIGTERM");
    console.log(`stopped node ${id} (pid ${pid})`);
  }
}

export async function transferLeadership(client: ApiClient, to: number): Promise<void> {
  print(await client.request("POST", "/admin/leadership", { to }));
}
