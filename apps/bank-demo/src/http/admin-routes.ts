import type { Membership, NodeId } from "@raft/core/contracts";
import type { BankNode } from "../node/bank-node.js";
import { badRequest, HttpError } from "./http-error.js";
import { leadershipBody, membersBody } from "./request-schemas.js";
import type { ZodFastify } from "./zod-validation.js";

/** How long POST /admin/leadership waits at most for the new leader (the engine abandons a transfer after one election timeout). */
const leadershipWaitCapMs = 5_000;

const membersOf = (m: Membership) => ({ voters: [...m.voters], learners: [...m.learners] });

/**
 * The operator's routes. Each is idempotent, so a client that lost an answer
 * (a leader died, a connection dropped) can send the same request again:
 * adding a member that is already there, promoting a voter, removing a node
 * that is gone, or handing leadership to the node that already leads all
 * answer 200 with the state as it is.
 */
export function adminRoutes(app: ZodFastify, node: BankNode): void {
  app.post("/admin/snapshot", async () => {
    const meta = await node.raft.takeSnapshot();
    return { index: meta.index, sizeBytes: meta.size };
  });

  app.post("/admin/members", { schema: { body: membersBody } }, async (request) => {
    const body = request.body;
    node.requireLeader();
    const current = node.raft.status().membership;
    const id = body.id as NodeId;
    const isVoter = current.voters.includes(id) && !(current.outgoing ?? []).includes(id);
    const isLearner = current.learners.includes(id);
    if (body.action === "add-learner") {
      if (isVoter || isLearner) return { members: membersOf(current), unchanged: true };
      return { members: membersOf(await node.raft.addLearner(id, body.address)) };
    }
    if (body.action === "promote") {
      if (isVoter && !isLearner) return { members: membersOf(current), unchanged: true };
      if (!isLearner) throw badRequest(`node ${id} is not a learner of this cluster: add it first`);
      return { members: membersOf(await node.raft.promote(id)) };
    }
    if (!current.voters.includes(id) && !isLearner && !(current.outgoing ?? []).includes(id)) return { members: membersOf(current), unchanged: true };
    return { members: membersOf(await node.raft.removeMember(id)) };
  });

  app.post("/admin/leadership", { schema: { body: leadershipBody } }, async (request) => {
    const to = request.body.to as NodeId;
    // Already done (a retry after the transfer, or asked of the new leader): nothing to do.
    if (node.raft.leader === to) return { leaderId: to, leaderUrl: node.urlOf(to) };
    node.requireLeader();
    node.raft.transferLeadership(to);
    return waitForTransfer(node, to);
  });
}

/**
 * Waits until `to` leads. The engine abandons a transfer that has not
 * completed within an election timeout (the target was down, restarting or
 * behind); this answers as soon as it has, instead of waiting out a fixed delay.
 */
async function waitForTransfer(node: BankNode, to: NodeId): Promise<{ leaderId: number; leaderUrl: string | null }> {
  const started = Date.now();
  const deadline = started + Math.min(leadershipWaitCapMs, 4 * node.electionTimeoutMs);
  // The engine may drop the transfer at its next election-timeout tick; give it one more tick to be seen.
  const graceMs = 2 * node.config.tuning.tickMs;
  for (;;) {
    const s = node.raft.status();
    if (s.leader === to) return { leaderId: to, leaderUrl: node.urlOf(to) };
    const elapsed = Date.now() - started;
    if (s.role !== "leader" && s.leader !== 0) {
      throw new HttpError(503, { error: "TransferFailed", reason: `node ${s.leader} took over instead of node ${to}`, leaderId: s.leader, leaderUrl: node.urlOf(s.leader) });
    }
    if (s.role === "leader" && s.leadTransferee !== to && elapsed > graceMs) {
      throw new HttpError(503, {
        error: "TransferDropped",
        reason: `node ${to} did not take over within an election timeout (${node.electionTimeoutMs} ms), so the leader dropped the transfer: node ${to} may be down, restarting or behind; node ${s.id} still leads`,
        leaderId: s.id,
        leaderUrl: node.urlOf(s.id),
      });
    }
    if (Date.now() >= deadline) throw new HttpError(503, { error: "Timeout", reason: `node ${to} did not take over within ${deadline - started} ms`, leaderId: s.leader === 0 ? null : s.leader });
    await new Promise((r) => setTimeout(r, 20));
  }
}
