import { Candidates } from "./candidates.js";
import { ExploredConfigurations, fmix32 } from "./explored.js";
import type { History, Operation } from "./history.js";
import type { Model } from "./model.js";

/**
 * How the search of one history ended; operations are named by their index
 * in the history searched.
 * - `ok`: `order` is a linearization (completed operations and the open ones that took effect);
 * - `illegal`: `prefix` is the longest linearizable prefix found (the most
 *   completed operations, then the fewest open ones), with the state after
 *   each operation; from its last state no completed operation of
 *   `unplaced` can go next, and the search cannot get past the completion
 *   of `blocking` (the last of `unplaced`); `pending` are the open
 *   operations invoked by then that the prefix leaves out;
 * - `unknown`: the deadline passed first.
 */
export type SearchOutcome<S> =
  | { readonly kind: "ok"; readonly order: readonly number[] }
  | {
      readonly kind: "illegal";
      readonly prefix: readonly { readonly index: number; readonly state: S }[];
      readonly unplaced: readonly number[];
      readonly blocking: number;
      readonly pending: readonly number[];
    }
  | { readonly kind: "unknown" };

/** One linearized operation on the search stack; frames are shared, so keeping the deepest one costs nothing. */
interface Frame<S> {
  readonly id: number;
  readonly state: S;
  readonly parent: Frame<S> | undefined;
  readonly depth: number;
  /** Completed operations among the `depth`: the longest prefix is the one with the most. */
  readonly settled: number;
  /** Zobrist hash of the completed operations linearized. */
  readonly zob: number;
  /** Every completed operation below `low` is linearized, `low` is not. */
  readonly low: number;
  /** The highest completed operation linearized, or -1. */
  readonly high: number;
  /** For an open operation: the rank of the completion that bounded the candidates when it was linearized. */
  readonly limit: number;
}

/**
 * Wing & Gong's search with Lowe's memoization, as in Porcupine: walk the
 * history's invocations and completions in time order; linearize a pending
 * operation when the model accepts it and the resulting (set, state) pair is
 * new; on reaching the completion of an operation not yet linearized,
 * backtrack. Open operations never have to be linearized, so they are tried
 * only after the completed candidates, and never where they change nothing.
 * Iterative, and it checks `deadline` (a `performance.now()` time) as it
 * goes, so it cannot hang.
 */
export function searchLinearization<S, I, O>(model: Model<S, I, O>, history: History<I, O>, deadline: number): SearchOutcome<S> {
  const n = history.length;
  // Ids: completed operations by invocation, then open ones. The linearized set is then nearly a prefix of
  // the ids, so `low` plus a few words identify it, however long the history.
  const isOpen = (i: number): number => (history[i]?.completedAt === undefined ? 1 : 0);
  const invokedAt = (i: number): number => history[i]?.invokedAt as number;
  const byId = history.map((_, i) => i).sort((a, b) => isOpen(a) - isOpen(b) || invokedAt(a) - invokedAt(b) || a - b);
  const ops = byId.map((i) => history[i] as Operation<I, O>);
  const firstOpen = ops.findIndex((op) => op.completedAt === undefined);
  const completed = firstOpen === -1 ? n : firstOpen;
  const candidates = new Candidates(ops, completed);

  // The linearized set: completed operations' bits, open operations' bits.
  const done = new Uint32Array((completed >>> 5) + 1);
  const openDone = new Uint32Array((n - completed + 31) >>> 5);
  const toggle = (id: number): void => {
    if (id < completed) done[id >>> 5] = (done[id >>> 5] as number) ^ (1 << (id & 31));
    else openDone[(id - completed) >>> 5] = (openDone[(id - completed) >>> 5] as number) ^ (1 << ((id - completed) & 31));
  };
  const has = (id: number): boolean => ((done[id >>> 5] as number) & (1 << (id & 31))) !== 0;
  const explored = new ExploredConfigurations<S>(model);

  const initial = model.init();
  let top: Frame<S> | undefined;
  let best: Frame<S> | undefined;
  let bestSettled = 0;
  let bestDepth = 0;
  let state = initial;
  /** Linearizes `id` next if the model accepts it there and that leads somewhere new. */
  const tryLinearize = (id: number, limit: number): boolean => {
    const op = ops[id] as Operation<I, O>;
    const result = model.step(state, op.input, op.output);
    if (!result.ok) return false;
    const open = id >= completed;
    // An open operation that changes nothing here need not take effect here: leaving it for later loses nothing.
    if (open && explored.same(result.state, state)) return false;
    const zob = open ? (top?.zob ?? 0) : (top?.zob ?? 0) ^ zobrist(id);
    let low = top?.low ?? 0;
    const high = open ? (top?.high ?? -1) : Math.max(top?.high ?? -1, id);
    toggle(id);
    if (id === low) while (low < completed && has(low)) low++;
    if (!explored.add(low, high, zob, done, openDone, result.state)) {
      toggle(id);
      return false;
    }
    top = { id, state: result.state, parent: top, depth: (top?.depth ?? 0) + 1, settled: (top?.settled ?? 0) + (open ? 0 : 1), zob, low, high, limit };
    if (top.settled > bestSettled || (top.settled === bestSettled && top.depth < bestDepth)) {
      best = top;
      bestSettled = top.settled;
      bestDepth = top.depth;
    }
    state = result.state;
    if (open) candidates.liftOpen(id);
    else candidates.lift(id);
    return true;
  };

  // At each configuration: the completed candidates in time order (`cursor`), then, once the cursor
  // reaches the first completion, the open operations invoked before it (`openCursor`, below `limit`).
  let cursor = candidates.first();
  let openCursor = candidates.openEnd;
  let limit = -1;
  for (let steps = 1; ; steps++) {
    if ((steps & 63) === 0 && performance.now() > deadline) return { kind: "unknown" };
    if (candidates.first() === candidates.tail) return { kind: "ok", order: chain(top).map((f) => byId[f.id] as number) };
    if (limit === -1) {
      if (candidates.isCall(cursor)) {
        cursor = tryLinearize(candidates.opAt(cursor), -1) ? candidates.first() : candidates.after(cursor);
      } else {
        limit = candidates.completedRank(candidates.opAt(cursor));
        openCursor = candidates.firstOpen();
      }
      continue;
    }
    if (openCursor !== candidates.openEnd && candidates.invokedRank(openCursor) < limit) {
      if (tryLinearize(openCursor, limit)) {
        limit = -1;
        cursor = candidates.first();
      } else openCursor = candidates.afterOpen(openCursor);
      continue;
    }
    if (top === undefined) return illegal(ops, byId, candidates, chain(best));
    // Backtrack: undo the last linearization and try the candidates after it.
    const undone = top;
    toggle(undone.id);
    top = undone.parent;
    state = top?.state ?? initial;
    if (undone.id < completed) {
      candidates.unlift(undone.id);
      cursor = candidates.after(candidates.callOf(undone.id));
      limit = -1;
    } else {
      candidates.unliftOpen(undone.id);
      openCursor = candidates.afterOpen(undone.id);
      limit = undone.limit;
    }
  }
}

/** The failure seen from the longest prefix: which completion it cannot pass, and what could not go next. */
function illegal<S, I, O>(ops: History<I, O>, byId: readonly number[], candidates: Candidates, prefix: readonly Frame<S>[]): SearchOutcome<S> {
  const linearized = new Set(prefix.map((f) => f.id));
  let blocking = -1;
  for (let id = 0; id < candidates.completed; id++) {
    if (!linearized.has(id) && (blocking === -1 || candidates.completedRank(id) < candidates.completedRank(blocking))) blocking = id;
  }
  const unplaced: number[] = [];
  const pending: number[] = [];
  for (let id = 0; id < ops.length; id++) {
    if (linearized.has(id) || id === blocking || candidates.invokedRank(id) > candidates.completedRank(blocking)) continue;
    (id >= candidates.completed ? pending : unplaced).push(id);
  }
  unplaced.push(blocking);
  const original = (id: number): number => byId[id] as number;
  return { kind: "illegal", prefix: prefix.map((f) => ({ index: original(f.id), state: f.state })), unplaced: unplaced.map(original), blocking: original(blocking), pending: pending.map(original) };
}

/** The frames from the bottom of the stack to `top`. */
function chain<S>(top: Frame<S> | undefined): Frame<S>[] {
  const frames: Frame<S>[] = [];
  for (let f = top; f !== undefined; f = f.parent) frames.push(f);
  return frames.reverse();
}

/** A fixed pseudo-random 32-bit value per operation: XORed together they hash a set incrementally. */
function zobrist(id: number): number {
  return fmix32(id + 0x9e3779b9);
}
