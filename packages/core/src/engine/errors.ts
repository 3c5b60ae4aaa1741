import type { NodeId } from "./brands.js";

/**
 * Every error the library raises carries a string `code`, so callers can branch
 * on it even when two copies of the package break `instanceof`.
 */
export type RaftErrorCode =
  | "NotLeader"
  | "ProposalDropped"
  | "Timeout"
  | "Stopped"
  | "Compacted"
  | "Unavailable"
  | "InvalidConfig"
  | "InvalidMessage"
  | "StorageFailure"
  | "Corrupt"
  | "NotFound"
  | "Busy"
  | "Aborted"
  | "DiskFull"
  | "ConfigChangeInProgress"
  | "NotCaughtUp";

export class RaftError extends Error {
  readonly code: RaftErrorCode;
  /** For `NotLeader`: the leader this node knows, or 0. */
  readonly leaderHint: NodeId | 0;

  constructor(code: RaftErrorCode, message: string, options: { leaderHint?: NodeId | 0; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RaftError";
    this.code = code;
    this.leaderHint = options.leaderHint ?? 0;
  }
}

/** True for any error carrying a RaftError code, whichever copy of the package created it. */
export function isRaftError(error: unknown, code?: RaftErrorCode): error is RaftError {
  if (typeof error !== "object" || error === null) return false;
  const c = (error as { code?: unknown }).code;
  if (typeof c !== "string" || (error as { name?: unknown }).name !== "RaftError") return false;
  return code === undefined || c === code;
}

export function notLeader(leaderHint: NodeId | 0): RaftError {
  const where = leaderHint === 0 ? "no leader is known" : `the leader is node ${leaderHint}`;
  return new RaftError("NotLeader", `this node is not the leader; ${where}`, { leaderHint });
}
