import type { NodeId } from "@raft/core/contracts";
import type { RaftNodeConfig } from "@raft/core/runtime";
import { TestCluster } from "@raft/core/testing";
import { BankStateMachine, type BankResult } from "../../src/index.js";

export type BankCluster = TestCluster<BankResult, BankStateMachine>;

/**
 * Real `RaftNode`s running the bank, on a simulated clock and network with
 * in-memory logs and snapshot stores that survive a node's crash.
 */
export function bankCluster(voters: readonly NodeId[], config: Partial<RaftNodeConfig> = {}, dedupCapacity = 100): BankCluster {
  return new TestCluster(voters, {
    node: config,
    networkSeed: 11,
    stateMachine: () => new BankStateMachine({ dedupCapacity, snapshotChunkBytes: 256 }),
  });
}
