// packages/demo-bank-app/README.md: the first example.
import type { RaftNodeConfig } from "@raft/core/runtime";
import type { LogStore, SnapshotStore, Transport } from "@raft/core/contracts";
declare const config: RaftNodeConfig & { log: LogStore; snapshots: SnapshotStore; transport: Transport };

// #region readme
import { RaftNode } from "@raft/core/runtime";
import { BankStateMachine, encodeBankCommand } from "@raft/demo-bank-app";

const bank = new BankStateMachine({ dedupCapacity: 100_000 });
const node = new RaftNode({ ...config, stateMachine: bank /* log, snapshots, transport */ });
const result = await node.propose(encodeBankCommand({ type: "transfer", requestId: "7f3a…", from: "alice", to: "bob", amount: 2500 }));
// { ok: true, index: 42, duplicate: false }, or { ok: false, error: "InsufficientFunds", index: 42, duplicate: false }
bank.balance("alice"); // local state; call node.read() first for a linearizable read
// #endregion

export { result };
