import type { BankNode } from "../node/bank-node.js";
import { statusView } from "./status-view.js";
import type { ClusterMemberView, ClusterView, StatusView } from "./views.js";

/** How long the dashboard's aggregate waits for one member before showing it as down. */
const memberTimeoutMs = 800;

/** GET /cluster: every member's GET /status, fetched by this node, for the dashboard. */
export async function clusterView(node: BankNode): Promise<ClusterView> {
  const nodes = await Promise.all(
    node.memberIds().map(async (id): Promise<ClusterMemberView> => {
      const url = node.urlOf(id);
      if (id === node.config.id) return { id, url, ok: true, status: statusView(node) };
      if (url === null) return { id, url, ok: false, error: "no known address" };
      try {
        const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(memberTimeoutMs) });
        if (!res.ok) return { id, url, ok: false, error: `HTTP ${res.status}` };
        return { id, url, ok: true, status: (await res.json()) as StatusView };
      } catch (error) {
        return { id, url, ok: false, error: (error as Error).name === "TimeoutError" ? "timed out" : "unreachable" };
      }
    }),
  );
  return { clusterId: node.config.clusterId, self: node.config.id, nodes };
}
