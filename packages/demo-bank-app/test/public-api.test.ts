import type { Index, StateMachine } from "@raft/core/contracts";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as api from "../src/index.js";
import type { BankCommand, BankErrorCode, BankRequestRecord, BankResult } from "../src/index.js";

// Pins the surface apps/bank-demo builds on: a change here is a breaking change.
describe("public API", () => {
  it("exports these values", () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        "ACCOUNTS_FILE",
        "BankStateMachine",
        "DEFAULT_DEDUP_CAPACITY",
        "DEFAULT_SNAPSHOT_CHUNK_BYTES",
        "HEADER_FILE",
        "MAX_COMMAND_BYTES",
        "REQUESTS_FILE",
        "SNAPSHOT_FORMAT",
        "accountIdSchema",
        "amountSchema",
        "balanceSchema",
        "bankCommandSchema",
        "bankErrorCodes",
        "bankStateMachineOptionsSchema",
        "decodeBankCommand",
        "encodeBankCommand",
        "parseBankCommand",
        "parseBankStateMachineOptions",
        "requestIdSchema",
        "snapshotHeaderSchema",
      ].sort(),
    );
  });

  it("has these types", () => {
    expectTypeOf<api.BankStateMachine>().toExtend<StateMachine<BankResult>>();
    expectTypeOf<BankCommand["type"]>().toEqualTypeOf<"open" | "deposit" | "withdraw" | "transfer">();
    expectTypeOf<BankErrorCode>().toEqualTypeOf<"Malformed" | "UnknownAccount" | "AccountExists" | "InsufficientFunds" | "LimitExceeded" | "RequestIdReused">();
    expectTypeOf<BankResult["index"]>().toEqualTypeOf<Index>();
    expectTypeOf<api.BankStateMachine["request"]>().returns.toEqualTypeOf<BankRequestRecord | undefined>();
    expectTypeOf<api.BankStateMachine["balance"]>().returns.toEqualTypeOf<number | undefined>();
    expectTypeOf(api.encodeBankCommand).returns.toEqualTypeOf<Uint8Array>();
    expectTypeOf<Extract<BankCommand, { type: "transfer" }>>().toEqualTypeOf<{ type: "transfer"; requestId: string; from: string; to: string; amount: number }>();
    expect(api.bankErrorCodes).toHaveLength(6);
  });
});
