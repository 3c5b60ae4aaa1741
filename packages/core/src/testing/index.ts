/**
 * `@raft/core/testing`: the test kit. A simulated clock and network, the
 * deterministic cluster simulator with its safety checker, and one
 * conformance suite per port for adapters (yours included) to run.
 */
export { MemoryLog } from "../engine/memory-log.js";
export { SimClock, drainMicrotasks } from "./sim-clock.js";
export { InMemoryNetwork, noFaults, type NetworkFaults } from "./in-memory-network.js";
export { SimLogStore } from "./sim-log-store.js";
export { incarnationOf } from "./shared-store.js";
export { SimStateMachine } from "./sim-state-machine.js";
export { SafetyChecker, type Violation } from "./safety-checker.js";
export { faultMixes, faultMixNames, type FaultMix, type FaultMixName } from "./fault-mixes.js";
export { runSimulation, replayCommand, type SimulationOptions, type SimulationResult } from "./simulator.js";
export { runLogStoreContract, type LogStoreFactory } from "./log-store-contract.js";
export { runStateMachineContract, type StateMachineHarness } from "./state-machine-contract.js";
export { MemorySnapshotStore } from "./memory-snapshot-store.js";
export { runSnapshotStoreContract, type SnapshotStoreFactory } from "./snapshot-store-contract.js";
export { runTransportContract, type TransportFactory } from "./transport-contract.js";
export { noStreamFaults, type StreamFaults } from "./in-memory-network.js";
export { freePortRange } from "./free-port-range.js";
export { NodeChild, stopAllChildren } from "./node-child.js";
