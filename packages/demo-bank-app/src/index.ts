/**
 * `@raft/demo-bank-app`: a bank as a `StateMachine` for `@raft/core`:
 * accounts with integer balances, exactly-once requests, and snapshots
 * streamed from a copy-on-write view.
 */
export { BankStateMachine, type AccountRange } from "./bank-state-machine.js";
export type { BankAccount } from "./account-table.js";
export {
  accountIdSchema,
  amountSchema,
  balanceSchema,
  bankCommandSchema,
  requestIdSchema,
  type BankCommand,
  type DepositCommand,
  type OpenCommand,
  type TransferCommand,
  type WithdrawCommand,
} from "./command-schema.js";
export { MAX_COMMAND_BYTES, decodeBankCommand, encodeBankCommand, parseBankCommand } from "./command-codec.js";
export { bankErrorCodes, type BankErrorCode, type BankRequestRecord, type BankResult } from "./result.js";
export {
  DEFAULT_DEDUP_CAPACITY,
  DEFAULT_SNAPSHOT_CHUNK_BYTES,
  bankStateMachineOptionsSchema,
  parseBankStateMachineOptions,
  type BankStateMachineOptions,
  type ResolvedBankStateMachineOptions,
} from "./options.js";
export { ACCOUNTS_FILE, HEADER_FILE, REQUESTS_FILE, SNAPSHOT_FORMAT, snapshotHeaderSchema, type SnapshotHeader } from "./snapshot-format.js";
