import type { Index } from "@raft/core/contracts";

/**
 * Why a command was rejected. A rejected command is still applied (it takes
 * its log index and, except `Malformed` and `RequestIdReused`, its request id
 * is remembered), it just changes no balance.
 * - `Malformed`: the bytes are not a valid command (not JSON, fails the schema, too long);
 * - `UnknownAccount`: an account named by the command does not exist;
 * - `AccountExists`: `open` of an id already opened;
 * - `InsufficientFunds`: a withdrawal or transfer larger than the balance;
 * - `LimitExceeded`: the bank's total (and so some balance) would pass `Number.MAX_SAFE_INTEGER`;
 * - `RequestIdReused`: the request id was already used by a different command.
 */
export const bankErrorCodes = ["Malformed", "UnknownAccount", "AccountExists", "InsufficientFunds", "LimitExceeded", "RequestIdReused"] as const;
export type BankErrorCode = (typeof bankErrorCodes)[number];

/** The outcomes the de-duplication table remembers: those of commands that were executed. */
export const recordedOutcomes = ["ok", "UnknownAccount", "AccountExists", "InsufficientFunds", "LimitExceeded"] as const;
export type RecordedOutcome = (typeof recordedOutcomes)[number];

/**
 * What `apply` answers for one command. `index` is the log index at which the
 * request was first applied: a retry (`duplicate: true`) answers the original
 * index and outcome, and changes nothing.
 */
export type BankResult =
  { readonly ok: true; readonly index: Index; readonly duplicate: boolean } | { readonly ok: false; readonly error: BankErrorCode; readonly index: Index; readonly duplicate: boolean };

/** A remembered request: where it was applied and what it answered then. */
export interface BankRequestRecord {
  readonly index: Index;
  readonly result: BankResult;
}

export function resultOf(outcome: RecordedOutcome, index: Index, duplicate: boolean): BankResult {
  return outcome === "ok" ? { ok: true, index, duplicate } : { ok: false, error: outcome, index, duplicate };
}
