import { MAX_SNAPSHOT_CHUNK_BYTES, RaftError } from "@raft/core/contracts";
import { z } from "zod";

export const DEFAULT_DEDUP_CAPACITY = 100_000;
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 64 * 1024;

/** Options of a `BankStateMachine`. */
export const bankStateMachineOptionsSchema = z.strictObject({
  /**
   * Request ids remembered for de-duplication: the latest this many executed
   * commands, in apply order. Part of the replicated state: every node of a
   * cluster must use the same value (a snapshot taken with another one is refused).
   */
  dedupCapacity: z.number().int().min(1).max(10_000_000).default(DEFAULT_DEDUP_CAPACITY),
  /** Size of the chunks a snapshot's files are streamed in; every chunk is at most this long. */
  snapshotChunkBytes: z.number().int().min(64).max(MAX_SNAPSHOT_CHUNK_BYTES).default(DEFAULT_SNAPSHOT_CHUNK_BYTES),
});

export type BankStateMachineOptions = z.input<typeof bankStateMachineOptionsSchema>;
export type ResolvedBankStateMachineOptions = z.output<typeof bankStateMachineOptionsSchema>;

/** Validates options; throws `RaftError("InvalidConfig")` naming what is wrong. */
export function parseBankStateMachineOptions(options: BankStateMachineOptions = {}): ResolvedBankStateMachineOptions {
  const result = bankStateMachineOptionsSchema.safeParse(options);
  if (!result.success) throw new RaftError("InvalidConfig", `invalid bank state machine options: ${z.prettifyError(result.error).replace(/\n/g, "; ")}`);
  return result.data;
}
