import type { Index } from "@raft/core/contracts";
import type { AccountTable } from "./account-table.js";
import { tryDecodeBankCommand } from "./command-codec.js";
import { commandDigest } from "./command-digest.js";
import type { BankCommand } from "./command-schema.js";
import type { RequestTable } from "./request-table.js";
import { resultOf, type BankResult, type RecordedOutcome } from "./result.js";

/** The bank's state that commands change. */
export interface BankState {
  readonly accounts: AccountTable;
  readonly requests: RequestTable;
}

/**
 * Applies one committed command: decode, answer a retry from the session
 * table, or run it and remember its outcome. Deterministic: the result and
 * the new state depend only on the state and the bytes.
 */
export function execute(state: BankState, index: Index, data: Uint8Array): BankResult {
  const command = tryDecodeBankCommand(data);
  if (command === undefined) return { ok: false, error: "Malformed", index, duplicate: false };
  const digest = commandDigest(command);
  const seen = state.requests.get(command.requestId);
  if (seen !== undefined) {
    // A retry answers what the first attempt answered; another command under a used id runs nowhere.
    return seen.digest === digest ? resultOf(seen.outcome, seen.index, true) : { ok: false, error: "RequestIdReused", index: seen.index, duplicate: true };
  }
  const outcome = run(state.accounts, command);
  state.requests.remember({ requestId: command.requestId, index, outcome, digest });
  return resultOf(outcome, index, false);
}

/** The bank's rules. Unknown accounts are reported before funds and limits. */
function run(accounts: AccountTable, c: BankCommand): RecordedOutcome {
  // The total bounds every balance, so keeping it a safe integer keeps them all exact.
  const room = Number.MAX_SAFE_INTEGER - accounts.total;
  switch (c.type) {
    case "open": {
      if (accounts.positionOf(c.id) !== undefined) return "AccountExists";
      if (c.balance > room) return "LimitExceeded";
      accounts.open(c.id, c.balance);
      return "ok";
    }
    case "deposit": {
      const p = accounts.positionOf(c.id);
      if (p === undefined) return "UnknownAccount";
      if (c.amount > room) return "LimitExceeded";
      accounts.setBalanceAt(p, accounts.balanceAt(p) + c.amount);
      return "ok";
    }
    case "withdraw": {
      const p = accounts.positionOf(c.id);
      if (p === undefined) return "UnknownAccount";
      const balance = accounts.balanceAt(p);
      if (balance < c.amount) return "InsufficientFunds";
      accounts.setBalanceAt(p, balance - c.amount);
      return "ok";
    }
    case "transfer": {
      const from = accounts.positionOf(c.from);
      const to = accounts.positionOf(c.to);
      if (from === undefined || to === undefined) return "UnknownAccount";
      const balance = accounts.balanceAt(from);
      if (balance < c.amount) return "InsufficientFunds";
      // The total does not change, and the receiver's new balance is at most the total.
      accounts.setBalanceAt(from, balance - c.amount);
      accounts.setBalanceAt(to, accounts.balanceAt(to) + c.amount);
      return "ok";
    }
  }
}
