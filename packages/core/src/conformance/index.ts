/**
 * `@raft/core/conformance`: one contract suite per port, as vitest tests. An
 * adapter's test file calls one of these with a factory; the suite declares
 * its `describe`/`it` blocks. vitest is an optional peer dependency of
 * `@raft/core`: only this entry imports it, so `@raft/core/testing` (the
 * in-memory network, clock, stores, simulator and checkers) works without it.
 */
export { runLogStoreContract, type LogStoreFactory } from "./log-store-contract.js";
export { runStateMachineContract, type StateMachineHarness } from "./state-machine-contract.js";
export { runSnapshotStoreContract, type SnapshotStoreFactory } from "./snapshot-store-contract.js";
export { runTransportContract, type TransportFactory } from "./transport-contract.js";
export { REJOIN_MS, runLinkHealContract, type LinkHealFactory } from "./link-heal-contract.js";
export { runDialViaContract, type DialViaFactory } from "./dial-via-contract.js";
