import type { History, Operation } from "./history.js";

/** What a model answers for one operation: legal (and the state after it) or not. */
export type StepResult<S> = { readonly ok: true; readonly state: S } | { readonly ok: false };

/**
 * A sequential specification: the object as it would behave with one
 * operation at a time. The checker asks whether the concurrent history can
 * be ordered so that every operation is legal in this model.
 *
 * States are values: `step` must not mutate the state it is given (the search
 * keeps earlier states to backtrack to and to remember what it tried).
 */
export interface Model<S, I, O> {
  /** The state before any operation. */
  init(): S;
  /**
   * Applies `input` to `state`. `ok` is false when `output` is not what the
   * object could answer in `state`. `output` is `undefined` when the outcome
   * is unknown (or nothing was answered): accept it and return the state the
   * operation leaves.
   */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /**
   * State equality for memoization. Defaults to `Object.is` (or to equal
   * hashes when `hash` is given), which suits primitive states; give it for
   * object states, or the search cannot recognise states it has seen.
   */
  equal?(a: S, b: S): boolean;
  /** A hash of the state: equal states must hash alike. Without `equal`, equal hashes mean equal states. */
  hash?(state: S): string | number;
  /**
   * Splits the history into independent parts (by key, say) that are
   * checked separately: a history is linearizable iff every part is
   * (P-compositionality). Return the history's own operation objects.
   */
  partition?(history: History<I, O>): History<I, O>[];
  /**
   * Whether an open operation of `part` could have been observed by the
   * others: could any of them need its effect to be legal? Open operations
   * nobody could observe are left out before the search (they may as well
   * never have taken effect), which spares it trying them everywhere.
   * Answer true when unsure.
   */
  observable?(open: Operation<I, O>, part: History<I, O>): boolean;
  /** One operation, for reports: `put(x, 1)`, `get(x) → 1`. */
  describeOperation?(input: I, output: O | undefined): string;
  /** One state, for reports. */
  describeState?(state: S): string;
}
