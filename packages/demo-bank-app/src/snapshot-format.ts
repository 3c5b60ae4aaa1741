import { indexSchema } from "@raft/core/contracts";
import { z } from "zod";
import { requestIdSchema } from "./command-schema.js";
import type { RequestEntry } from "./request-table.js";
import { recordedOutcomes } from "./result.js";

/**
 * A bank snapshot is three files, in this order:
 * - `bank.json`: one JSON line, the header (counts and totals the other files must match);
 * - `accounts.jsonl`: one line per account in opening order, `["<id>",<balance>]`;
 * - `requests.jsonl`: one line per remembered request, oldest first, `[<requestId>,<index>,"<outcome>",<digest>]`.
 * Every line ends with "\n". Lines may span chunks.
 */
export const SNAPSHOT_FORMAT = "raft-bank-snapshot/1";
export const HEADER_FILE = "bank.json";
export const ACCOUNTS_FILE = "accounts.jsonl";
export const REQUESTS_FILE = "requests.jsonl";
export const SNAPSHOT_FILES = [HEADER_FILE, ACCOUNTS_FILE, REQUESTS_FILE] as const;

/** Longer lines are corrupt. The longest valid one is a request line with a 128-unit id, every unit escaped (6 bytes). */
export const MAX_LINE_LENGTH = 1024;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const snapshotHeaderSchema = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  /** Index of the last command applied to this state (no-ops and membership entries never reach the state machine). */
  appliedIndex: indexSchema,
  accounts: count,
  total: count,
  requests: count,
  dedupCapacity: z.number().int().min(1),
});
export type SnapshotHeader = z.infer<typeof snapshotHeaderSchema>;

export function headerLine(header: SnapshotHeader): string {
  return `${JSON.stringify(header)}\n`;
}

// Account ids need no JSON escaping (their alphabet is [A-Za-z0-9_-]), so a line is written and read without JSON.
export function accountLine(id: string, balance: number): string {
  return `["${id}",${balance}]\n`;
}

/**
 * The account line grammar, as strict as the command schema: an id of the
 * account alphabet and a canonical non-negative integer of at most 16 digits.
 * A regular expression rather than zod, because restore runs it per account,
 * millions of times.
 */
const accountLinePattern = /^\["([A-Za-z0-9_-]{1,64})",(0|[1-9][0-9]{0,15})\]$/;

/** `[id, balance]`, or undefined when the line is not a valid account line. */
export function parseAccountLine(line: string): [string, number] | undefined {
  const m = accountLinePattern.exec(line);
  if (m === null) return undefined;
  const balance = Number(m[2]);
  return Number.isSafeInteger(balance) ? [m[1] as string, balance] : undefined;
}

export function requestLine(e: RequestEntry): string {
  return `${JSON.stringify([e.requestId, e.index, e.outcome, e.digest])}\n`;
}

const requestLineSchema = z.tuple([requestIdSchema, indexSchema.min(1), z.enum(recordedOutcomes), z.number().int().min(0).max(0xffffffff)]);

/** The entry, or undefined when the line is not a valid request line in canonical form (as `requestLine` writes it). */
export function parseRequestLine(line: string): RequestEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const r = requestLineSchema.safeParse(value);
  if (!r.success) return undefined;
  const [requestId, index, outcome, digest] = r.data;
  const entry = { requestId, index, outcome, digest };
  // One state, one encoding: equal states give equal snapshot bytes (and ids) on every node.
  return requestLine(entry) === `${line}\n` ? entry : undefined;
}
