// packages/log-sqlite/README.md
// #region readme
import { SqliteLogStore } from "@raft/log-sqlite";
const log = await SqliteLogStore.open({ path: "/var/lib/raft/node-1/log.db" });
// #endregion
export { log };
