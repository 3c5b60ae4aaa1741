import { isRaftError } from "@raft/core/contracts";
import type { BankNode } from "../node/bank-node.js";
import { HttpError } from "./http-error.js";

/** Retryable conditions: the client may send the same request again (same requestId for writes). */
const unavailable = new Set(["Timeout", "ProposalDropped", "Unavailable", "Busy", "Stopped"]);
const conflict = new Set(["ConfigChangeInProgress", "NotCaughtUp"]);

/**
 * How an error thrown while serving a request is answered: 421 `NotLeader`
 * with the leader this node knows; 503 `NoLeader` while it knows none, and 503
 * for outcomes that are unknown or temporary (retry, with the same requestId
 * for writes); 409 while a membership change is in progress.
 */
export function errorResponse(error: unknown, node: BankNode): HttpError {
  if (error instanceof HttpError) return error;
  if (isRaftError(error)) {
    if (error.code === "NotLeader") {
      const leaderId = error.leaderHint;
      // No leader known (an election is under way): nothing was done, and there is nowhere to send the client yet.
      if (leaderId === 0) return new HttpError(503, { error: "NoLeader", reason: `node ${node.config.id} knows no leader (an election may be under way); retry`, leaderId: null, leaderUrl: null });
      return new HttpError(421, { error: "NotLeader", leaderId, leaderUrl: node.urlOf(leaderId) });
    }
    if (unavailable.has(error.code)) return new HttpError(503, { error: error.code, reason: error.message });
    if (conflict.has(error.code)) return new HttpError(409, { error: error.code, reason: error.message });
    if (error.code === "InvalidConfig") return new HttpError(400, { error: error.code, reason: error.message });
  }
  return new HttpError(500, { error: "Internal", reason: (error as Error)?.message ?? String(error) });
}
