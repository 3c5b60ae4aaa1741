import type { Prng } from "@raft/core/testing";
import { runStateMachineContract } from "@raft/core/conformance";
import { BankStateMachine, encodeBankCommand, type BankCommand, type BankResult } from "../src/index.js";
import { bytes, fingerprint } from "./support/bank.js";

/**
 * Random commands over ten accounts: opens, deposits, withdrawals (some
 * overdrawing), transfers (some to unknown accounts), retries of earlier
 * request ids, and malformed bytes.
 */
function randomCommand(prng: Prng, i: number): Uint8Array {
  if (prng.chance(0.05)) return bytes(prng.chance(0.5) ? "not json" : `{"type":"deposit","requestId":"m${i}","id":"a1","amount":-5}`);
  const requestId = i > 0 && prng.chance(0.1) ? `r${prng.int(0, i)}` : `r${i}`;
  const account = () => `a${prng.int(0, 10)}`;
  const amount = prng.int(1, 500);
  const kind = prng.int(0, 4);
  let command: BankCommand;
  if (kind === 0) command = { type: "open", requestId, id: account(), balance: prng.int(0, 1000) };
  else if (kind === 1) command = { type: "deposit", requestId, id: account(), amount };
  else if (kind === 2) command = { type: "withdraw", requestId, id: account(), amount };
  else {
    const from = account();
    let to = account();
    if (to === from) to = `${from}x`; // an account never opened
    command = { type: "transfer", requestId, from, to, amount };
  }
  return encodeBankCommand(command);
}

runStateMachineContract<BankResult>("BankStateMachine", {
  create: () => new BankStateMachine({ dedupCapacity: 64 }),
  command: randomCommand,
  fingerprint: (sm) => fingerprint(sm as BankStateMachine),
});
