import { z } from "zod";
import { RaftError, type Message } from "../engine/index.js";

/** A node id: a positive safe integer. */
export const nodeIdSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** A term or a log index: a non-negative safe integer. */
export const termSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const indexSchema = termSchema;

export const entrySchema = z.object({
  index: indexSchema,
  term: termSchema,
  kind: z.enum(["normal", "noop", "config"]),
  data: z.instanceof(Uint8Array),
});

export const hardStateSchema = z.object({ term: termSchema, vote: z.union([z.literal(0), nodeIdSchema]), commit: indexSchema });

const envelope = { from: nodeIdSchema, to: nodeIdSchema, term: termSchema };
const counter = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Every engine message, validated field by field. Transports run this on every frame before the engine sees it. */
export const messageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.enum(["PreVote", "Vote"]), ...envelope, lastIndex: indexSchema, lastTerm: termSchema, transfer: z.boolean() }),
  z.object({ type: z.enum(["PreVoteResp", "VoteResp"]), ...envelope, reject: z.boolean() }),
  z
    .object({ type: z.literal("Append"), ...envelope, prevIndex: indexSchema, prevTerm: termSchema, entries: z.array(entrySchema), commit: indexSchema })
    .refine((m) => m.entries.every((e, i) => e.index === m.prevIndex + 1 + i && e.term >= m.prevTerm && e.term <= m.term), {
      message: "entries must follow prevIndex contiguously with terms between prevTerm and the message term",
    }),
  z.object({ type: z.literal("AppendResp"), ...envelope, reject: z.boolean(), index: indexSchema, hintIndex: indexSchema, hintTerm: termSchema }),
  z.object({ type: z.literal("Heartbeat"), ...envelope, commit: indexSchema, round: counter }),
  z.object({ type: z.literal("HeartbeatResp"), ...envelope, round: counter }),
  z.object({ type: z.literal("ReadIndex"), ...envelope, id: counter }),
  z.object({ type: z.literal("ReadIndexResp"), ...envelope, id: counter, index: indexSchema, reject: z.boolean() }),
  z.object({ type: z.literal("TimeoutNow"), ...envelope }),
]);

/** Validates an untrusted value as an engine message; throws `RaftError("InvalidMessage")` with the reason. */
export function parseMessage(value: unknown): Message {
  const result = messageSchema.safeParse(value);
  if (!result.success) {
    throw new RaftError("InvalidMessage", `invalid message: ${z.prettifyError(result.error).replace(/\n/g, "; ")}`);
  }
  return result.data as Message;
}
