/**
 * An example adapter written the way a third party would write one: it
 * imports only `@raft/core/contracts`, implements the `LogStore` port on one
 * plain file, and proves itself with `runLogStoreContract` from
 * `@raft/core/conformance` (see test/). See docs/writing-an-adapter.md.
 */
export { FileLogStore, type FileLogStoreOptions } from "./file-log-store.js";
