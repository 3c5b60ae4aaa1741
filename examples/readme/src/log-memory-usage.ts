// packages/log-memory/README.md
// #region readme
import { MemoryLogStore } from "@raft/log-memory";
const log = new MemoryLogStore();
// #endregion
export { log };
