import { RaftError } from "@raft/core/contracts";
import { z } from "zod";
import { bankCommandSchema, type BankCommand } from "./command-schema.js";

/** The largest encoded command accepted. The longest valid one (escaped 128-unit request id, two 64-character ids) is well under it. */
export const MAX_COMMAND_BYTES = 2048;

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is malformed, not silently replaced, so every node reads the same bytes the same way.
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Validates a command (an HTTP body, say); throws `RaftError("InvalidMessage")` naming what is wrong. */
export function parseBankCommand(value: unknown): BankCommand {
  const result = bankCommandSchema.safeParse(value);
  if (!result.success) throw new RaftError("InvalidMessage", `invalid bank command: ${z.prettifyError(result.error).replace(/\n/g, "; ")}`);
  return result.data;
}

/**
 * The JSON behind bytes this process's `encodeBankCommand` returned, until
 * they are applied: the node that proposed a command then skips its schema
 * check (see `tryDecodeBankCommand`).
 */
const encodedJson = new WeakMap<Uint8Array, string>();

/** The bytes to propose for `command` (JSON), validated first so a bad command fails here and not in the log. */
export function encodeBankCommand(command: BankCommand): Uint8Array {
  const json = JSON.stringify(parseBankCommand(command));
  const bytes = encoder.encode(json);
  encodedJson.set(bytes, json);
  return bytes;
}

/** Reads a command from its bytes; throws `RaftError("InvalidMessage")` when they are not a valid command. */
export function decodeBankCommand(data: Uint8Array): BankCommand {
  if (data.length > MAX_COMMAND_BYTES) throw new RaftError("InvalidMessage", `a bank command is at most ${MAX_COMMAND_BYTES} bytes; got ${data.length}`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch (e) {
    throw new RaftError("InvalidMessage", "a bank command must be UTF-8 JSON", { cause: e });
  }
  return parseBankCommand(value);
}

/**
 * `decodeBankCommand` for the apply path: a malformed command is a result
 * there, not an exception.
 *
 * Bytes that `encodeBankCommand` returned in this process (the leader
 * applying what it proposed) skip the schema check, the costliest step, when
 * they still decode to the JSON it wrote: that is the JSON of a command that
 * passed the check, which every other node parses to the same value and
 * accepts. Bytes changed since are decoded as on every other node.
 */
export function tryDecodeBankCommand(data: Uint8Array): BankCommand | undefined {
  if (data.length > MAX_COMMAND_BYTES) return undefined;
  const json = encodedJson.get(data);
  if (json !== undefined) encodedJson.delete(data);
  let text: string;
  let value: unknown;
  try {
    text = decoder.decode(data);
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (text === json) return value as BankCommand;
  const result = bankCommandSchema.safeParse(value);
  return result.success ? result.data : undefined;
}
