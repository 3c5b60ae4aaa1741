import type { Message } from "../messages.js";
import type { RaftState } from "../raft.js";
import { onReadIndexRequest, onReadIndexResponse } from "../read-only.js";
import { handleAppend, handleHeartbeat, handleInstallSnapshot } from "./follower.js";

/** Pre-candidates count PreVoteResp, candidates VoteResp; a current leader's message ends the campaign. */
export function stepCandidate(r: RaftState, m: Message): void {
  const expected = r.role === "pre-candidate" ? "PreVoteResp" : "VoteResp";
  switch (m.type) {
    case "Append":
      r.becomeFollower(m.term, m.from);
      return handleAppend(r, m);
    case "Heartbeat":
      r.becomeFollower(m.term, m.from);
      return handleHeartbeat(r, m);
    case "InstallSnapshot":
      r.becomeFollower(m.term, m.from);
      return handleInstallSnapshot(r, m);
    case "ReadIndexResp":
      return onReadIndexResponse(r, m);
    case "ReadIndex":
      return onReadIndexRequest(r, m);
    case "PreVoteResp":
    case "VoteResp": {
      if (m.type !== expected) return;
      const result = r.poll(m.from, !m.reject);
      if (result === "won") {
        if (r.role === "pre-candidate") r.campaign("election");
        else r.becomeLeader();
      } else if (result === "lost") {
        r.becomeFollower(r.term, 0);
      }
      return;
    }
    default:
      return;
  }
}
