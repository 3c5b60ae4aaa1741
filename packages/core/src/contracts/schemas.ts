import { z } from "zod";
import { Index, NodeId, RaftError, Term, type Entry, type HardState, type Membership, type Message, type SnapshotMeta } from "../engine/index.js";
import { isSnapshotFileName, isSnapshotId, manifestDigest, snapshotId } from "./snapshot-manifest.js";

// The engine's types (engine/types.ts, engine/messages.ts) are written once, as
// TypeScript: the engine imports no zod. These schemas validate the same
// values at trust boundaries, and the checks at the end of this file make the
// compiler prove that each schema's output and its type are mutually
// assignable, so neither can gain, lose or retype a field without the other,
// and parsing needs no cast.

/** A node id: a positive safe integer, branded `NodeId`. */
export const nodeIdSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).refine(NodeId.is);
/** A term: a non-negative safe integer, branded `Term`. */
export const termSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).refine(Term.is);
/** A log index: a non-negative safe integer, branded `Index`. */
export const indexSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).refine(Index.is);

/** Bytes: any `Uint8Array` (a view into a larger buffer included). */
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, "expected a Uint8Array");
/** An array whose parsed value is typed (and frozen) readonly, as the engine's types are. */
const list = <T extends z.ZodType>(item: T) => z.array(item).readonly();

export const entrySchema = z.object({
  index: indexSchema,
  term: termSchema,
  kind: z.enum(["normal", "noop", "config"]),
  data: bytes,
});

export const hardStateSchema = z.object({ term: termSchema, vote: z.union([z.literal(0), nodeIdSchema]), commit: indexSchema });

export const membershipSchema = z.object({
  voters: list(nodeIdSchema),
  learners: list(nodeIdSchema),
  outgoing: list(nodeIdSchema).optional(),
  addresses: z.record(z.string().regex(/^[1-9]\d{0,15}$/), z.string().max(1024)).optional(),
});

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "expected a lowercase hex SHA-256");
const size = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A snapshot manifest, as read back from storage or received from a peer. */
export const snapshotMetaSchema = z
  .object({
    id: z.string().refine(isSnapshotId, "not a snapshot id"),
    index: indexSchema,
    term: termSchema,
    membership: membershipSchema,
    files: z
      .array(z.object({ name: z.string().refine(isSnapshotFileName, "not a plain file name"), size, sha256: sha256Hex }))
      .max(10_000)
      .readonly(),
    size,
    sha256: sha256Hex,
    createdAt: z.number().int().min(0),
  })
  .refine((m) => m.size === m.files.reduce((n, f) => n + f.size, 0), { message: "size must be the sum of the file sizes" })
  .refine((m) => new Set(m.files.map((f) => f.name)).size === m.files.length, { message: "file names must be distinct" })
  .refine((m) => m.sha256 === manifestDigest(m.files), { message: "sha256 does not match the file list" })
  .refine((m) => m.id === snapshotId(m.index, m.term, m.sha256), { message: "id does not match index, term and digest" });

/** Validates a snapshot manifest; throws `RaftError("Corrupt")` naming what is wrong. */
export function parseSnapshotMeta(value: unknown, where = "snapshot manifest"): SnapshotMeta {
  const result = snapshotMetaSchema.safeParse(value);
  if (!result.success) throw new RaftError("Corrupt", `invalid ${where}: ${z.prettifyError(result.error).replace(/\n/g, "; ")}`);
  return result.data;
}

const envelope = { from: nodeIdSchema, to: nodeIdSchema, term: termSchema };
const counter = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Every engine message, validated field by field. Transports run this on every frame before the engine sees it. */
export const messageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.enum(["PreVote", "Vote"]), ...envelope, lastIndex: indexSchema, lastTerm: termSchema, transfer: z.boolean() }),
  z.object({ type: z.enum(["PreVoteResp", "VoteResp"]), ...envelope, reject: z.boolean() }),
  z
    .object({ type: z.literal("Append"), ...envelope, prevIndex: indexSchema, prevTerm: termSchema, entries: list(entrySchema), commit: indexSchema })
    .refine((m) => m.entries.every((e, i) => e.index === m.prevIndex + 1 + i && e.term >= m.prevTerm && e.term <= m.term), {
      message: "entries must follow prevIndex contiguously with terms between prevTerm and the message term",
    }),
  z.object({ type: z.literal("AppendResp"), ...envelope, reject: z.boolean(), index: indexSchema, hintIndex: indexSchema, hintTerm: termSchema }),
  z.object({ type: z.literal("Heartbeat"), ...envelope, commit: indexSchema, round: counter }),
  z.object({ type: z.literal("HeartbeatResp"), ...envelope, round: counter }),
  z.object({ type: z.literal("ReadIndex"), ...envelope, id: counter }),
  z.object({ type: z.literal("ReadIndexResp"), ...envelope, id: counter, index: indexSchema, reject: z.boolean() }),
  z.object({ type: z.literal("TimeoutNow"), ...envelope }),
  z.object({
    type: z.literal("InstallSnapshot"),
    ...envelope,
    snapshot: snapshotMetaSchema,
    source: z.discriminatedUnion("kind", [z.object({ kind: z.literal("peer") }), z.object({ kind: z.literal("url"), url: z.string().url() })]),
    inline: list(z.object({ name: z.string().refine(isSnapshotFileName), data: bytes })).optional(),
  }),
  z.object({ type: z.literal("InstallSnapshotResp"), ...envelope, index: indexSchema, reject: z.boolean() }),
]);

/** Validates an untrusted value as an engine message; throws `RaftError("InvalidMessage")` with the reason. */
export function parseMessage(value: unknown): Message {
  const result = messageSchema.safeParse(value);
  if (!result.success) {
    throw new RaftError("InvalidMessage", `invalid message: ${z.prettifyError(result.error).replace(/\n/g, "; ")}`);
  }
  return result.data;
}

/** The largest chunk a peer may ask for: bounds what one snapshot chunk can make a server buffer. */
export const MAX_SNAPSHOT_CHUNK_BYTES = 16 * 1024 * 1024;

/** A peer's request for a snapshot file range, as a transport receives it. The `SnapshotRequest` type is derived from it. */
export const snapshotRequestSchema = z.object({
  id: z.string().refine(isSnapshotId, "not a snapshot id"),
  file: z.string().refine(isSnapshotFileName, "not a plain file name"),
  offset: size,
  chunkSize: z.number().int().min(1).max(MAX_SNAPSHOT_CHUNK_BYTES),
});

/** A follower's request for a range of one snapshot file. */
export type SnapshotRequest = Readonly<z.output<typeof snapshotRequestSchema>>;

/** Validates an untrusted snapshot request; throws `RaftError("InvalidMessage")` with the reason. */
export function parseSnapshotRequest(value: unknown): SnapshotRequest {
  const result = snapshotRequestSchema.safeParse(value);
  if (!result.success) throw new RaftError("InvalidMessage", `invalid snapshot request: ${z.prettifyError(result.error).replace(/\n/g, "; ")}`);
  return result.data;
}

/** A cluster id: what every frame between members carries, so two clusters on one network never mix. */
export const clusterIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "1–64 letters, digits, '.', '_' or '-'");

/** True when each of `A` and `B` is assignable to the other. */
type Agree<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only when every element is `true`. */
type AllTrue<T extends readonly true[]> = T;
// Each schema against the engine type it validates: a field added, dropped or
// retyped on one side and not the other fails the build here.
type _SchemasAgreeWithEngineTypes = AllTrue<
  [
    Agree<z.output<typeof nodeIdSchema>, NodeId>,
    Agree<z.output<typeof termSchema>, Term>,
    Agree<z.output<typeof indexSchema>, Index>,
    Agree<z.output<typeof entrySchema>, Entry>,
    Agree<z.output<typeof hardStateSchema>, HardState>,
    Agree<z.output<typeof membershipSchema>, Membership>,
    Agree<z.output<typeof snapshotMetaSchema>, SnapshotMeta>,
    Agree<z.output<typeof messageSchema>, Message>,
  ]
>;
