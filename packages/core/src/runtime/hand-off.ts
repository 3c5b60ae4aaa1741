import type { Clock } from "../contracts/index.js";
import type { EngineStatus, NodeId } from "../engine/index.js";
import type { RaftNodeEvents } from "./events.js";

/**
 * Leader: transfers leadership to an up-to-date, live follower and waits (at
 * most `timeoutMs`) until this node is no longer leader. Does nothing when no
 * follower qualifies.
 */
export async function handOffLeadership(
  node: {
    readonly id: NodeId;
    status(): EngineStatus;
    on(name: "role", listener: (e: RaftNodeEvents["role"]) => void): () => void;
    transferLeadership(to: NodeId): void;
  },
  clock: Clock,
  timeoutMs: number,
): Promise<void> {
  const s = node.status();
  const target = [...(s.progress ?? [])].find(([id, p]) => id !== node.id && p.match === s.lastIndex && p.recentActive)?.[0];
  if (target === undefined) return;
  await new Promise<void>((resolve) => {
    const stopWaiting = () => {
      off();
      cancel();
      resolve();
    };
    const off = node.on("role", (e) => e.role !== "leader" && stopWaiting());
    const cancel = clock.setTimeout(stopWaiting, timeoutMs);
    try {
      node.transferLeadership(target);
    } catch {
      stopWaiting();
    }
  });
}
