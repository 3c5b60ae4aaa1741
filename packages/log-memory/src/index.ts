/**
 * `@raft/log-memory`: the `LogStore` port in memory. Nothing survives the
 * process: use it for tests, simulations and clusters whose members rebuild
 * from peers on restart.
 */
export { MemoryLogStore, type MemoryLogStoreOptions } from "./memory-log-store.js";
