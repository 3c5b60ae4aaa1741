/** What the test harness hands a node process, as JSON in a file. */
export interface ProcessConfig {
  id: number;
  clusterId: string;
  voters: number[];
  dir: string;
  transport: "grpc" | "ws";
  log: "sqlite" | "memory";
  port: number;
  peers: Record<string, string>;
  snapshotEntries: number;
}

/** Parent → child over IPC. */
export type ControlRequest = { seq: number; op: "propose"; value: string } | { seq: number; op: "status" | "read" | "values" };

/** Child → parent over IPC: a reply to `seq`, or (seq 0) the notice that the node is up. */
export type ControlReply = { seq: number; ok: true; result: unknown } | { seq: number; ok: false; error: { code: string; message: string; leaderHint?: number } };

/** What `status` answers. */
export interface ProcessStatus {
  id: number;
  role: string;
  term: number;
  leader: number;
  commit: number;
  applied: number;
  values: number;
  /** A digest of the state machine's values, equal on nodes with equal state. */
  fingerprint: string;
  snapshotsInstalled: number;
}
