import { assertWellFormed, type History, type Operation } from "./history.js";
import type { Model } from "./model.js";
import { partitionsOf } from "./partition.js";
import { searchLinearization } from "./search.js";

/** Options of `checkLinearizability`. */
export interface LinearizabilityOptions {
  /**
   * Time bound of the whole check in ms (default 10,000). When it runs out
   * the verdict is `unknown`; `Infinity` lets the search run to the end.
   */
  readonly timeoutMs?: number;
}

/** An operation of a linearization, with the model's state after it. */
export interface LinearizedOperation<S, I, O> {
  readonly operation: Operation<I, O>;
  readonly state: S;
}

/**
 * Why a history is not linearizable, seen from the longest linearizable
 * prefix the search found: from the state it leaves, none of the pending
 * operations can go next, and the completion of `blocking` cannot be passed.
 */
export interface LinearizabilityFailure<S, I, O> {
  /** The failing part: its position in the model's partition (0 when the model does not partition). */
  readonly partition: number;
  /** All operations of that part. */
  readonly operations: History<I, O>;
  /** The longest linearizable prefix: operations in linearization order, each with the state after it. */
  readonly linearized: readonly LinearizedOperation<S, I, O>[];
  /** The state after `linearized` (the initial state if it is empty). */
  readonly state: S;
  /** The completed operations that could not be placed next (each is illegal in `state`), by invocation; the last is `blocking`. */
  readonly unplaced: History<I, O>;
  /** The operation whose completion no linearization gets past. */
  readonly blocking: Operation<I, O>;
  /**
   * The failing window: from the first unplaced invocation (or the invocation of the last linearized
   * operation before it, which fixes the state they start from) to `blocking`'s completion, with the
   * operations of the prefix overlapping it, the unplaced ones, and the open ones pending by then.
   */
  readonly window: { readonly from: number; readonly to: number; readonly operations: History<I, O> };
}

interface Summary {
  /** Operations in the history. */
  readonly operations: number;
  /** Parts the model split it into. */
  readonly partitions: number;
  readonly elapsedMs: number;
}

/**
 * The verdict: `ok` (linearizable), `illegal` (not, with the failure), or
 * `unknown` (the time bound ran out; `checked` parts were found
 * linearizable by then).
 */
export type LinearizabilityResult<S, I, O> =
  | (Summary & { readonly verdict: "ok" })
  | (Summary & { readonly verdict: "illegal"; readonly failure: LinearizabilityFailure<S, I, O> })
  | (Summary & { readonly verdict: "unknown"; readonly checked: number });

/**
 * Checks that `history` is linearizable with respect to `model`: that each
 * operation can be given a point between its invocation and completion
 * (open operations: after their invocation, or none) at which it takes
 * effect, in an order the model accepts. Parts of the model's partition
 * are checked one by one, smallest first; the first illegal one decides.
 * Open operations the model says nobody could observe are left out first.
 */
export function checkLinearizability<S, I, O>(model: Model<S, I, O>, history: History<I, O>, options: LinearizabilityOptions = {}): LinearizabilityResult<S, I, O> {
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? 10_000);
  assertWellFormed(history);
  const parts = partitionsOf(model, history);
  const summary = (): Summary => ({ operations: history.length, partitions: parts.length, elapsedMs: performance.now() - started });
  const bySize = parts.map((_, i) => i).sort((a, b) => (parts[a]?.length ?? 0) - (parts[b]?.length ?? 0) || a - b);
  let checked = 0;
  for (const p of bySize) {
    const part = parts[p] ?? [];
    const searched = withoutUnobservable(model, part);
    const outcome = searchLinearization(model, searched, deadline);
    if (outcome.kind === "unknown") return { verdict: "unknown", checked, ...summary() };
    if (outcome.kind === "illegal") {
      const op = (i: number): Operation<I, O> => searched[i] as Operation<I, O>;
      const linearized = outcome.prefix.map(({ index, state }) => ({ operation: op(index), state }));
      const unplaced = outcome.unplaced.map(op);
      const blocking = op(outcome.blocking);
      const window = windowOf(linearized, unplaced, blocking, outcome.pending.map(op));
      const state = linearized.at(-1)?.state ?? model.init();
      return { verdict: "illegal", failure: { partition: p, operations: part, linearized, state, unplaced, blocking, window }, ...summary() };
    }
    checked++;
  }
  return { verdict: "ok", ...summary() };
}

/** The operations a report draws: the unplaced ones and what overlaps them, back to the operation that fixed their starting state. */
function windowOf<S, I, O>(linearized: readonly LinearizedOperation<S, I, O>[], unplaced: History<I, O>, blocking: Operation<I, O>, pending: History<I, O>): LinearizabilityFailure<S, I, O>["window"] {
  let from = unplaced.reduce((min, u) => Math.min(min, u.invokedAt), Infinity);
  const to = blocking.completedAt ?? Infinity;
  let before: Operation<I, O> | undefined;
  for (const { operation } of linearized) {
    const end = operation.completedAt;
    if (end !== undefined && end < from && (before?.completedAt === undefined || end > before.completedAt)) before = operation;
  }
  if (before !== undefined) from = Math.min(from, before.invokedAt);
  const operations = new Set<Operation<I, O>>([...unplaced, ...pending]);
  // An open operation of the prefix overlaps everything after its invocation: it belongs to the window
  // only if it took effect there, after the window's first completed operation of the prefix.
  let first = linearized.length;
  linearized.forEach(({ operation }, i) => {
    if (operation.completedAt !== undefined && operation.completedAt >= from && operation.invokedAt <= to) first = Math.min(first, i);
  });
  linearized.forEach(({ operation }, i) => {
    if (operation.invokedAt <= to && (operation.completedAt ?? (i >= first ? Infinity : -Infinity)) >= from) operations.add(operation);
  });
  return { from, to, operations: [...operations].sort((a, b) => a.invokedAt - b.invokedAt) };
}

/** The part without the open operations the model says nobody could observe. */
function withoutUnobservable<S, I, O>(model: Model<S, I, O>, part: History<I, O>): History<I, O> {
  if (model.observable === undefined) return part;
  return part.filter((op) => op.completedAt !== undefined || model.observable?.(op, part) !== false);
}
