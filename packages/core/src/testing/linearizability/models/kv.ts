import { formatValue } from "../format-value.js";
import type { Model } from "../model.js";
import { partitionBy } from "../partition.js";

/** An operation on one key of a key-value store. */
export type KvInput =
  { readonly op: "get"; readonly key: string } | { readonly op: "put"; readonly key: string; readonly value: string } | { readonly op: "append"; readonly key: string; readonly value: string };

/** A get answers the value read, `null` for a missing key; the answers of put and append are ignored. */
export type KvOutput = string | null;

/**
 * A key-value store with get, put and append (append to a missing key puts).
 * Partitioned by key, so each key is checked on its own and the state is
 * one key's value (`null`: missing).
 */
export function kvModel(): Model<string | null, KvInput, KvOutput> {
  return {
    init: () => null,
    step(state, input, output) {
      switch (input.op) {
        case "get":
          return output === undefined || output === state ? { ok: true, state } : { ok: false };
        case "put":
          return { ok: true, state: input.value };
        case "append":
          return { ok: true, state: (state ?? "") + input.value };
      }
    },
    partition: partitionBy((op) => op.input.key),
    // Only gets observe, and a get that saw a write's effect answers a value containing what it wrote.
    observable({ input }, part) {
      if (input.op === "get") return false;
      const written = input.value;
      return part.some((op) => op.input.op === "get" && typeof op.output === "string" && op.output.includes(written));
    },
    describeOperation(input, output) {
      switch (input.op) {
        case "get":
          return `get(${formatValue(input.key)}) → ${output === null ? "missing" : formatValue(output)}`;
        case "put":
          return `put(${formatValue(input.key)}, ${formatValue(input.value)})`;
        case "append":
          return `append(${formatValue(input.key)}, ${formatValue(input.value)})`;
      }
    },
    describeState: (state) => (state === null ? "missing" : formatValue(state)),
  };
}
