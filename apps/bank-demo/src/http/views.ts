/**
 * The JSON bodies of GET /status and GET /cluster: one definition read by the
 * server (which builds them), the dashboard (which renders them) and the CLI
 * (which prints them). No imports, so the browser bundle can use it too.
 */

export type RoleView = "follower" | "pre-candidate" | "candidate" | "leader";

/** One snapshot stream in flight, as the reporting node sees it. */
export interface SnapshotTransferView {
  peer: number;
  direction: "send" | "receive";
  bytesDone: number;
  bytesTotal: number;
}

/** The body of GET /status. */
export interface StatusView {
  id: number;
  role: RoleView;
  term: number;
  leaderId: number | null;
  leaderUrl: string | null;
  commitIndex: number;
  appliedIndex: number;
  log: { firstIndex: number; lastIndex: number };
  snapshot: { index: number; term: number; sizeBytes: number } | null;
  members: { voters: number[]; learners: number[] };
  /** Every current member's HTTP URL by id: what clients retry across (a removed node is not in it). */
  memberUrls: Record<string, string>;
  snapshotTransfers: SnapshotTransferView[];
}

/** One member in GET /cluster: its status, or why there is none. */
export type ClusterMemberView = { id: number; url: string | null; ok: true; status: StatusView } | { id: number; url: string | null; ok: false; error: string };

/** The body of GET /cluster: every member of the current membership (what the dashboard polls). */
export interface ClusterView {
  clusterId: string;
  self: number;
  nodes: ClusterMemberView[];
}
