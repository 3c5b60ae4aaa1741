import { z } from "zod";
import { nodeIdSchema } from "@raft/core/contracts";
import { accountIdSchema, amountSchema, balanceSchema, requestIdSchema } from "@raft/demo-bank-app";

export const openAccountBody = z.strictObject({ id: accountIdSchema, balance: balanceSchema, requestId: requestIdSchema.optional() });
export const transferBody = z
  .strictObject({ requestId: requestIdSchema, from: accountIdSchema, to: accountIdSchema, amount: amountSchema })
  .refine((b) => b.from !== b.to, { message: "a transfer needs two different accounts", path: ["to"] });
export const membersBody = z.discriminatedUnion("action", [
  z.strictObject({ action: z.literal("add-learner"), id: nodeIdSchema, address: z.string().regex(/^[^\s:]+:\d{1,5}$/, "expected host:port") }),
  z.strictObject({ action: z.literal("promote"), id: nodeIdSchema }),
  z.strictObject({ action: z.literal("remove"), id: nodeIdSchema }),
]);
export const leadershipBody = z.strictObject({ to: nodeIdSchema });
/** `?consistency=stale` answers from local state; anything else (or nothing) is linearizable. */
export const readQuery = z.object({ consistency: z.string().optional() });
export const requestIdParams = z.object({ requestId: z.string() });
export const accountParams = z.object({ id: z.string() });
