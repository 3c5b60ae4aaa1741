import { describe, expect, it } from "vitest";
import { MAX_COMMAND_BYTES, bankCommandSchema, decodeBankCommand, encodeBankCommand, parseBankCommand, type BankCommand } from "../src/index.js";
import { bytes, deposit, open, transfer, withdraw } from "./support/bank.js";

const valid: BankCommand[] = [open("r1", "alice", 0), deposit("r2", "alice", 5), withdraw("r3", "A-z_09", Number.MAX_SAFE_INTEGER), transfer("r4", "a", "b", 1)];

describe("bank commands", () => {
  it("encode and decode every command type unchanged", () => {
    for (const c of valid) expect(decodeBankCommand(encodeBankCommand(c))).toEqual(c);
  });

  it("accept the bounds: 64-character account ids, 128-unit request ids of any characters", () => {
    const c = open("é🙂".repeat(42) + "xx", "x".repeat(64), 1); // 42 × 3 units + 2 = 128 UTF-16 units
    expect(c.requestId.length).toBe(128);
    expect(decodeBankCommand(encodeBankCommand(c))).toEqual(c);
  });

  const invalid: [string, unknown][] = [
    ["an empty account id", open("r", "", 1)],
    ["a 65-character account id", open("r", "x".repeat(65), 1)],
    ["a space in an account id", deposit("r", "al ice", 1)],
    ["a non-ASCII account id", deposit("r", "alicé", 1)],
    ["an empty request id", deposit("", "a", 1)],
    ["a 129-unit request id", deposit("r".repeat(129), "a", 1)],
    ["a zero amount", deposit("r", "a", 0)],
    ["a negative amount", withdraw("r", "a", -1)],
    ["a fractional amount", transfer("r", "a", "b", 1.5)],
    ["an amount past MAX_SAFE_INTEGER", deposit("r", "a", 2 ** 53)],
    ["an amount as a string", { type: "deposit", requestId: "r", id: "a", amount: "5" }],
    ["a negative opening balance", open("r", "a", -1)],
    ["a transfer to the same account", transfer("r", "a", "a", 1)],
    ["an unknown field", { ...deposit("r", "a", 1), memo: "hi" }],
    ["an unknown type", { type: "close", requestId: "r", id: "a" }],
    ["a missing field", { type: "transfer", requestId: "r", from: "a", amount: 1 }],
    ["not an object", ["deposit", "r", "a", 1]],
  ];

  it.each(invalid)("reject %s with InvalidMessage", (_, value) => {
    expect(bankCommandSchema.safeParse(value).success).toBe(false);
    expect(() => parseBankCommand(value)).toThrow(expect.objectContaining({ code: "InvalidMessage" }));
    expect(() => encodeBankCommand(value as BankCommand)).toThrow(expect.objectContaining({ code: "InvalidMessage" }));
    expect(() => decodeBankCommand(bytes(JSON.stringify(value)))).toThrow(expect.objectContaining({ code: "InvalidMessage" }));
  });

  it("reject bytes that are not UTF-8 JSON, or too long, with InvalidMessage", () => {
    for (const data of [new Uint8Array([0x7b, 0xff, 0x7d]), bytes("{"), bytes(""), bytes(" ".repeat(MAX_COMMAND_BYTES) + JSON.stringify(deposit("r", "a", 1)))]) {
      expect(() => decodeBankCommand(data)).toThrow(expect.objectContaining({ code: "InvalidMessage" }));
    }
  });

  it("name the field at fault", () => {
    expect(() => parseBankCommand(transfer("r", "a", "a", 1))).toThrow(/two different accounts/);
    expect(() => parseBankCommand(deposit("r", "a b", 1))).toThrow(/account id/);
  });
});
