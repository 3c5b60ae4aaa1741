import type { History, Operation } from "./history.js";
import type { Model } from "./model.js";

/**
 * A `Model.partition` that groups operations by a key (the object they act
 * on), keeping their order. Sound when no operation reads or writes more
 * than one key: then the history is linearizable iff each group is.
 */
export function partitionBy<I, O>(keyOf: (op: Operation<I, O>) => string | number): (history: History<I, O>) => History<I, O>[] {
  return (history) => {
    const groups = new Map<string | number, Operation<I, O>[]>();
    for (const op of history) {
      const key = keyOf(op);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [op]);
      else group.push(op);
    }
    return [...groups.values()];
  };
}

/** The parts the model splits the history into (the whole history if it does not), without empty ones. */
export function partitionsOf<S, I, O>(model: Model<S, I, O>, history: History<I, O>): History<I, O>[] {
  const parts = model.partition === undefined ? [history] : model.partition(history);
  return parts.filter((part) => part.length > 0);
}
