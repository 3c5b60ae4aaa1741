// packages/demo-bank-app/README.md: the result type, restated; the check below keeps it equal to the exported one.
import type { Index } from "@raft/core";
import type { BankErrorCode, BankResult as Exported } from "@raft/demo-bank-app";
import { expectTypeOf } from "vitest";

// #region readme
type BankResult = { readonly ok: true; readonly index: Index; readonly duplicate: boolean } | { readonly ok: false; readonly error: BankErrorCode; readonly index: Index; readonly duplicate: boolean };
// #endregion

expectTypeOf<BankResult>().toEqualTypeOf<Exported>();
