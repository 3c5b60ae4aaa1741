import { afterEach, describe, expect, it, vi } from "vitest";
import { BankStateMachine, bankCommandSchema, encodeBankCommand, type BankCommand } from "../src/index.js";
import { Feeder, deposit, open, transfer, withdraw } from "./support/bank.js";

/**
 * The same encoded commands applied by the process that encoded them (its own
 * bytes, as on the leader that proposed them) and by another node (copies of
 * the bytes, as a follower receives them).
 */
function applyOnBoth(encoded: readonly Uint8Array[]) {
  const copies = encoded.map((b) => Uint8Array.from(b));
  const proposer = new Feeder(new BankStateMachine());
  const follower = new Feeder(new BankStateMachine());
  const results = { proposer: proposer.apply(...encoded), follower: follower.apply(...copies) };
  const state = (sm: BankStateMachine) => ({ accounts: [...sm.accounts()], total: sm.total(), requests: [...sm.requests()] });
  return { results, proposer: state(proposer.sm), follower: state(follower.sm) };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("commands applied by the process that encoded them", () => {
  const commands: BankCommand[] = [
    open("o1", "alice", 100),
    open("o2", "bob", 0),
    open("o3", "carol", -0), // JSON writes -0 as 0: both nodes must hold 0
    transfer("t1", "alice", "bob", 30),
    transfer("t1", "alice", "bob", 30), // a retry
    deposit("t1", "alice", 5), // a request id reused for another command
    withdraw("w1", "bob", 1_000), // refused: insufficient funds
    deposit("\uD800-lone", "alice", 7), // JSON escapes a lone surrogate, so it survives UTF-8 on every node
    transfer("t2", "alice", "dave", 1), // refused: unknown account
  ];

  it("skip the schema check, and only for their own bytes", () => {
    const encoded = commands.map((c) => encodeBankCommand(c));
    const check = vi.spyOn(bankCommandSchema, "safeParse");
    new Feeder(new BankStateMachine()).apply(...encoded.slice(0, 6));
    expect(check).not.toHaveBeenCalled();
    new Feeder(new BankStateMachine()).apply(...encoded.slice(0, 6).map((b) => Uint8Array.from(b)));
    expect(check).toHaveBeenCalledTimes(6);
  });

  it("give every result and the state a node that decodes them gets", () => {
    const { results, proposer, follower } = applyOnBoth(commands.map((c) => encodeBankCommand(c)));
    expect(results.proposer).toEqual(results.follower);
    expect(proposer).toEqual(follower);
    expect(results.follower.map((r) => (r.ok ? "ok" : r.error))).toEqual(["ok", "ok", "ok", "ok", "ok", "RequestIdReused", "InsufficientFunds", "ok", "UnknownAccount"]);
    expect(Object.is(proposer.accounts.find((a) => a.id === "carol")?.balance, 0)).toBe(true);
    expect(follower.requests.map((r) => r.requestId)).toContain("\uD800-lone");
  });

  it("are decoded like any others once their bytes changed after encoding", () => {
    const encoded = [open("o1", "alice", 100), deposit("d1", "alice", 1), deposit("d2", "alice", 1)].map((c) => encodeBankCommand(c));
    const digit = (encoded[1] as Uint8Array).lastIndexOf(0x31); // the amount's "1"
    (encoded[1] as Uint8Array)[digit] = 0x39; // now 9
    (encoded[2] as Uint8Array)[0] = 0x5b; // no longer JSON
    const { results, proposer, follower } = applyOnBoth(encoded);
    expect(results.proposer).toEqual(results.follower);
    expect(proposer).toEqual(follower);
    expect(proposer.total).toBe(109);
    expect(results.proposer[2]).toMatchObject({ ok: false, error: "Malformed" });
  });
});
