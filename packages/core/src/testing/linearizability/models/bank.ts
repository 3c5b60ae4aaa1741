import { formatValue } from "../format-value.js";
import type { Model } from "../model.js";

/**
 * A bank operation, shaped after the bank demo's HTTP API:
 * - `open`: `POST /accounts {id, balance}`;
 * - `transfer`: `POST /transfers {requestId, from, to, amount}`;
 * - `balances`: `GET /accounts` (every balance);
 * - `balance`: `GET /accounts/:id`.
 *
 * A request retried under the same request id is one operation, from its
 * first attempt to its final answer (no answer: leave it open).
 */
export type BankInput =
  | { readonly type: "open"; readonly id: string; readonly balance: number }
  | { readonly type: "transfer"; readonly from: string; readonly to: string; readonly amount: number }
  | { readonly type: "balances" }
  | { readonly type: "balance"; readonly id: string };

/** The refusals the model knows; a refused operation changes nothing. */
export type BankRefusal = "UnknownAccount" | "InsufficientFunds" | "AccountExists";

/**
 * What the bank answered: `{ok: true}` for a done open or transfer (HTTP
 * 200/201), `{ok: false, error}` for a refusal (the 4xx body's `error`; a
 * 404 of `GET /accounts/:id` is `UnknownAccount`), `{ok: true, accounts}`
 * and `{ok: true, balance}` for reads (the response bodies' fields).
 */
export type BankOutput =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: BankRefusal }
  | { readonly ok: true; readonly accounts: Readonly<Record<string, number>> }
  | { readonly ok: true; readonly balance: number };

/** Balances by account id. */
export type BankState = ReadonlyMap<string, number>;

/**
 * A bank of accounts with integer balances, `initial` open at the start.
 * Transfers move money between two open accounts, or are refused with
 * `UnknownAccount` (checked first) or `InsufficientFunds` and change
 * nothing; so the total changes only when accounts open, and a read of all
 * balances can never see money in flight.
 */
export function bankModel(initial: Readonly<Record<string, number>> = {}): Model<BankState, BankInput, BankOutput> {
  return {
    init: () => new Map(Object.entries(initial)),
    step(state, input, output) {
      switch (input.type) {
        case "open": {
          const outcome = state.has(input.id) ? "AccountExists" : "ok";
          if (!answered(output, outcome)) return { ok: false };
          return { ok: true, state: outcome === "ok" ? new Map(state).set(input.id, input.balance) : state };
        }
        case "transfer": {
          const from = state.get(input.from);
          const to = state.get(input.to);
          const outcome = from === undefined || to === undefined ? "UnknownAccount" : from < input.amount ? "InsufficientFunds" : "ok";
          if (!answered(output, outcome)) return { ok: false };
          if (outcome !== "ok" || from === undefined) return { ok: true, state };
          const next = new Map(state).set(input.from, from - input.amount);
          return { ok: true, state: next.set(input.to, (next.get(input.to) ?? 0) + input.amount) };
        }
        case "balances":
          return output === undefined || ("accounts" in output && sameBalances(state, output.accounts)) ? { ok: true, state } : { ok: false };
        case "balance": {
          const balance = state.get(input.id);
          if (output === undefined) return { ok: true, state };
          const legal = balance === undefined ? !output.ok && output.error === "UnknownAccount" : "balance" in output && output.balance === balance;
          return legal ? { ok: true, state } : { ok: false };
        }
      }
    },
    equal: (a, b) => a.size === b.size && [...a].every(([id, balance]) => b.get(id) === balance),
    // Commutative over accounts, so the order they were opened in does not matter.
    hash(state) {
      let h = state.size;
      for (const balance of state.values()) h = (h + Math.imul((balance | 0) ^ Math.floor(balance / 4294967296), 0x9e3779b1)) | 0;
      return h;
    },
    describeOperation(input, output) {
      const answer = output === undefined ? "?" : !output.ok ? output.error : "accounts" in output ? formatBalances(output.accounts) : "balance" in output ? String(output.balance) : "ok";
      switch (input.type) {
        case "open":
          return `open(${formatValue(input.id)}, ${input.balance}) → ${answer}`;
        case "transfer":
          return `transfer(${formatValue(input.from)} → ${formatValue(input.to)}, ${input.amount}) → ${answer}`;
        case "balances":
          return `balances() → ${answer}`;
        case "balance":
          return `balance(${formatValue(input.id)}) → ${answer}`;
      }
    },
    describeState: (state) => formatBalances(Object.fromEntries(state)),
  };
}

/** Whether a write's answer is `outcome` (any answer will do when it is unknown). */
function answered(output: BankOutput | undefined, outcome: "ok" | BankRefusal): boolean {
  if (output === undefined) return true;
  return outcome === "ok" ? output.ok : !output.ok && output.error === outcome;
}

function sameBalances(state: BankState, accounts: Readonly<Record<string, number>>): boolean {
  const ids = Object.keys(accounts);
  return ids.length === state.size && ids.every((id) => state.get(id) === accounts[id]);
}

function formatBalances(accounts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(accounts);
  const total = entries.reduce((sum, [, balance]) => sum + balance, 0);
  return `{${entries.map(([id, balance]) => `${id}: ${balance}`).join(", ")}} (total ${total})`;
}
