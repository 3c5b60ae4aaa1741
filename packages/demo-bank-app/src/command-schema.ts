import { z } from "zod";

/** Account ids: short, printable, and safe to write unescaped in logs and snapshot lines. */
export const accountIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an account id is 1–64 characters of A–Z, a–z, 0–9, _ and -");

/** A client's id for one logical request; a retry carries the same one. */
export const requestIdSchema = z.string().min(1).max(128);

/** An amount moved by a command, in minor units (cents): a positive safe integer. */
export const amountSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** A balance in minor units: a non-negative safe integer. */
export const balanceSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const openSchema = z.strictObject({ type: z.literal("open"), requestId: requestIdSchema, id: accountIdSchema, balance: balanceSchema });
const depositSchema = z.strictObject({ type: z.literal("deposit"), requestId: requestIdSchema, id: accountIdSchema, amount: amountSchema });
const withdrawSchema = z.strictObject({ type: z.literal("withdraw"), requestId: requestIdSchema, id: accountIdSchema, amount: amountSchema });
const transferSchema = z
  .strictObject({ type: z.literal("transfer"), requestId: requestIdSchema, from: accountIdSchema, to: accountIdSchema, amount: amountSchema })
  .refine((c) => c.from !== c.to, { message: "a transfer needs two different accounts", path: ["to"] });

/**
 * A bank command, as proposed to the cluster. Objects are strict: an unknown
 * field makes the command malformed rather than silently ignored, so nodes of
 * different versions cannot read one command two ways.
 */
export const bankCommandSchema = z.discriminatedUnion("type", [openSchema, depositSchema, withdrawSchema, transferSchema]);

export type BankCommand = z.infer<typeof bankCommandSchema>;
export type OpenCommand = z.infer<typeof openSchema>;
export type DepositCommand = z.infer<typeof depositSchema>;
export type WithdrawCommand = z.infer<typeof withdrawSchema>;
export type TransferCommand = z.infer<typeof transferSchema>;
