import { formatValue } from "../format-value.js";
import type { Model } from "../model.js";

/** An operation on a register: read it, write it, or compare-and-set it. */
export type RegisterInput<V> = { readonly op: "read" } | { readonly op: "write"; readonly value: V } | { readonly op: "cas"; readonly expect: V; readonly value: V };

/** A read answers the value read; a cas whether it swapped; a write's answer is ignored. */
export type RegisterOutput<V> = V | boolean;

/**
 * A single register holding `initial` at first. `cas(expect, value)` writes
 * `value` iff the register holds `expect`. Values are compared with `equal`
 * (default `Object.is`: give one for object values).
 */
export function registerModel<V = number>(initial: V, equal?: (a: V, b: V) => boolean): Model<V, RegisterInput<V>, RegisterOutput<V>> {
  const same = equal ?? Object.is;
  return {
    init: () => initial,
    step(state, input, output) {
      switch (input.op) {
        case "read":
          return output === undefined || same(output as V, state) ? { ok: true, state } : { ok: false };
        case "write":
          return { ok: true, state: input.value };
        case "cas": {
          const swapped = same(input.expect, state);
          if (output !== undefined && output !== swapped) return { ok: false };
          return { ok: true, state: swapped ? input.value : state };
        }
      }
    },
    // A write is observed by a read of its value or a cas expecting it; a failed cas may be explained by any write.
    observable(open, part) {
      if (open.input.op === "read") return false;
      const written = open.input.value;
      return part.some(({ input, output, completedAt }) =>
        input.op === "read" ? completedAt !== undefined && same(output as V, written) : input.op === "cas" && (same(input.expect, written) || output === false),
      );
    },
    // Without an equality of its own, the search compares (and buckets) states as values.
    ...(equal === undefined ? {} : { equal }),
    describeOperation(input, output) {
      switch (input.op) {
        case "read":
          return `read() → ${formatValue(output)}`;
        case "write":
          return `write(${formatValue(input.value)})`;
        case "cas":
          return `cas(${formatValue(input.expect)}, ${formatValue(input.value)}) → ${formatValue(output)}`;
      }
    },
    describeState: formatValue,
  };
}
