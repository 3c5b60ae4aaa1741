/**
 * `@raft/log-sqlite`: the `LogStore` port (log and hard state) in one SQLite
 * file per node, via better-sqlite3: WAL, one transaction per `Ready`,
 * committed in a writer thread while the event loop runs on, durable across
 * process crashes and (with `synchronous=FULL`) power loss.
 */
export { SqliteLogStore, type SqliteLogStoreInfo, type SqliteLogStoreStats } from "./sqlite-log-store.js";
export { sqliteLogStoreOptionsSchema, type SqliteIntegrityCheck, type SqliteLogStoreOptions, type SqliteSynchronous } from "./options.js";
