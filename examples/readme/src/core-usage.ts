// packages/core/README.md: the first example.
import type { StateMachine, Transport } from "@raft/core/contracts";
declare const myStateMachine: StateMachine<string>;
declare const myTransport: Transport;

// #region readme
import { RaftNode } from "@raft/core/runtime";
import { MemoryLogStore } from "@raft/log-memory";
import { DiskSnapshotStore } from "@raft/snapshot-store-disk";

const node = new RaftNode({
  id: 1,
  voters: [1, 2, 3],
  log: new MemoryLogStore(),
  snapshots: await DiskSnapshotStore.open({ dir: "/var/lib/raft/node-1/snapshots" }),
  stateMachine: myStateMachine, // implements StateMachine<Result>
  transport: myTransport, // implements Transport
});
await node.start();
const result = await node.propose(new TextEncoder().encode("deposit 10")); // applied on this node
const index = await node.read(); // linearizable: local state now reflects every acknowledged write
// #endregion

export { result, index };
