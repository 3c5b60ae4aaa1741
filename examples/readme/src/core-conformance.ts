// packages/core/README.md: running a conformance suite.
import type { LogStore } from "@raft/core/contracts";
declare const store: LogStore;
declare function reopen(): Promise<LogStore>;
declare function dispose(): Promise<void>;

// #region readme
import { runLogStoreContract } from "@raft/core/conformance";
runLogStoreContract("MyLogStore", { durable: true, create: async () => ({ store, reopen, dispose }) });
// #endregion
