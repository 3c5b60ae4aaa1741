/**
 * `@raft/core/testing`: the test kit. A simulated clock and network, the
 * deterministic cluster simulator with its safety checker, in-memory
 * stores, a TCP proxy and the linearizability checker. Nothing here imports a
 * test runner; the conformance suites (vitest) are in `@raft/core/conformance`.
 */
export { MemoryLog } from "../contracts/memory-log.js";
export { Prng } from "../engine/prng.js";
export { SimClock, drainMicrotasks } from "./sim-clock.js";
export { InMemoryNetwork, noFaults, type NetworkFaults } from "./in-memory-network.js";
export { SimLogStore } from "./sim-log-store.js";
export { incarnationOf } from "./shared-store.js";
export { SimStateMachine } from "./sim-state-machine.js";
export { SafetyChecker, type Violation } from "./safety-checker.js";
export { faultMixes, faultMixNames, type FaultMix, type FaultMixName } from "./fault-mixes.js";
export { runSimulation, replayCommand, type SimulationResult } from "./simulation/run.js";
export type { SimulationOptions } from "./simulation/settings.js";
export { MemoryBucket } from "./memory-bucket.js";
export { MemorySnapshotStore } from "./memory-snapshot-store.js";
export { noStreamFaults, type StreamFaults } from "./in-memory-network.js";
export { freePortRange } from "./free-port-range.js";
export { numberedChunks, readNumberedChunks } from "./numbered-chunks.js";
export { TestCluster, type ListeningTransport, type TestClusterOptions } from "./test-cluster.js";
export type { ClusterTime } from "./test-cluster-time.js";
export { TcpProxy, type TcpProxyDirection, type TcpProxyStats } from "./tcp-proxy.js";
export { NodeChild, reportToParent, stopAllChildren } from "./node-child.js";
export { historyFromEvents, type ClientId, type History, type HistoryEvent, type Operation } from "./linearizability/history.js";
export type { Model, StepResult } from "./linearizability/model.js";
export { partitionBy } from "./linearizability/partition.js";
export { checkLinearizability, type LinearizabilityFailure, type LinearizabilityOptions, type LinearizabilityResult, type LinearizedOperation } from "./linearizability/check.js";
export { linearizabilityReport } from "./linearizability/report-text.js";
export { linearizabilityHtml } from "./linearizability/report-html.js";
export { registerModel, type RegisterInput, type RegisterOutput } from "./linearizability/models/register.js";
export { kvModel, type KvInput, type KvOutput } from "./linearizability/models/kv.js";
export { bankModel, type BankInput, type BankOutput, type BankRefusal, type BankState } from "./linearizability/models/bank.js";
