import type { Index, NodeId } from "./types.js";

/**
 * Majority arithmetic over one set of voters. A joint configuration takes the
 * minimum of two of these (commit) or requires both (votes).
 */
export type VoteResult = "won" | "lost" | "pending";

/** The largest value that a majority of `voters` has reached (e.g. the commit index over match indices). */
export function majorityValue(voters: readonly NodeId[], valueOf: (id: NodeId) => number): number {
  if (voters.length === 0) return Infinity;
  const values = voters.map(valueOf).sort((a, b) => b - a);
  return values[Math.floor(voters.length / 2)] as Index;
}

export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return "won";
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const quorum = Math.floor(voters.length / 2) + 1;
  if (granted >= quorum) return "won";
  if (voters.length - rejected < quorum) return "lost";
  return "pending";
}
