import type { BankNode } from "../node/bank-node.js";
import type { StatusView } from "./views.js";

/** The body of GET /status. */
export function statusView(node: BankNode): StatusView {
  const s = node.raft.status();
  return {
    id: s.id,
    role: s.role,
    term: s.term,
    leaderId: s.leader === 0 ? null : s.leader,
    leaderUrl: s.leader === 0 ? null : node.urlOf(s.leader),
    commitIndex: s.commit,
    appliedIndex: s.applied,
    log: { firstIndex: s.firstIndex, lastIndex: s.lastIndex },
    snapshot: node.snapshot,
    members: { voters: [...s.membership.voters], learners: [...s.membership.learners] },
    memberUrls: node.memberUrls(),
    snapshotTransfers: s.transfers.map((t) => ({ peer: t.peer, direction: t.direction, bytesDone: t.bytesDone, bytesTotal: t.bytesTotal })),
  };
}
