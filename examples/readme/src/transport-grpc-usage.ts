// packages/transport-grpc/README.md: the first example.
import type { LogStore, SnapshotStore, StateMachine } from "@raft/core/contracts";
declare const cert: string, key: string, ca: string;
declare const log: LogStore, snapshots: SnapshotStore, stateMachine: StateMachine;

// #region readme
import { RaftNode } from "@raft/core/runtime";
import { GrpcTransport } from "@raft/transport-grpc";

const transport = await GrpcTransport.listen({
  id: 1,
  clusterId: "bank",
  listen: { host: "0.0.0.0", port: 7001 },
  advertise: "10.0.0.1:7001",
  peers: { 2: "10.0.0.2:7001", 3: "10.0.0.3:7001" },
  tls: { cert, key, ca, requireClientCert: true },
  auth: { token: process.env.RAFT_TOKEN! },
});
const node = new RaftNode({ id: 1, voters: [1, 2, 3], transport, log, snapshots, stateMachine });
await node.start(); // starts the transport and hands it the members' addresses
transport.stats(); // counters for /metrics
// #endregion
