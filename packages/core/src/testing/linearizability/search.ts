import type { History } from "./history.js";
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
  /** Zobrist hash of the linearized set. */
  readonly zob: number;
  /** Every completed operation below `low` is linearized, `low` is not. */
  readonly low: number;
  /** The highest completed operation linearized, or -1. */
  readonly high: number;
}

/** A (linearized set, state) pair already explored: the set as `low` plus the bit words above it. */
interface Seen<S> {
  readonly low: number;
  readonly words: Uint32Array;
  readonly hash: string | number | undefined;
  readonly state: S;
}

/**
 * Wing & Gong's search with Lowe's memoization, as in Porcupine: walk the
 * history's invocations and completions in time order; linearize a pending
 * operation when the model accepts it and the resulting (set, state) pair is
 * new; on reaching the completion of an operation not yet linearized,
 * backtrack. Iterative, and it checks `deadline` (a `performance.now()`
 * time) as it goes, so it cannot hang.
 */
export function searchLinearization<S, I, O>(model: Model<S, I, O>, history: History<I, O>, deadline: number): SearchOutcome<S> {
  const n = history.length;
  // Ids: completed operations by invocation, then open ones. The linearized set is then nearly a prefix of
  // the ids, so `low` plus a few words identify it, however long the history.
  const byId = history.map((_, i) => i);
  const openAt = (i: number): number => (history[i]?.completedAt === undefined ? 1 : 0);
  byId.sort((a, b) => openAt(a) - openAt(b) || at(history, a).invokedAt - at(history, b).invokedAt || a - b);
  const ops = byId.map((i) => at(history, i));
  const firstOpen = ops.findIndex((op) => op.completedAt === undefined);
  const completed = firstOpen === -1 ? n : firstOpen;

  // Events as a doubly linked list of nodes 1..2n in time order (calls before completions at equal times);
  // node 0 heads it, node 2n+1 ends it. Open operations complete after everything.
  const events = Array.from({ length: 2 * n }, (_, e) => e);
  const timeOf = (e: number): number => (e < n ? at(ops, e).invokedAt : (at(ops, e - n).completedAt ?? Infinity));
  events.sort((a, b) => timeOf(a) - timeOf(b) || Number(a >= n) - Number(b >= n) || a - b);
  const head = 0;
  const tail = 2 * n + 1;
  const next = new Int32Array(2 * n + 2);
  const prev = new Int32Array(2 * n + 2);
  const nodeOp = new Int32Array(2 * n + 2);
  const isCall = new Uint8Array(2 * n + 2);
  const callNode = new Int32Array(n);
  const returnNode = new Int32Array(n);
  events.forEach((e, k) => {
    const node = k + 1;
    next[node] = node + 1;
    prev[node] = node - 1;
    nodeOp[node] = e % n;
    if (e < n) {
      isCall[node] = 1;
      callNode[e] = node;
    } else returnNode[e - n] = node;
  });
  next[head] = 1;
  prev[tail] = 2 * n;

  const lift = (id: number): void => {
    const c = at(callNode, id);
    const r = at(returnNode, id);
    next[at(prev, c)] = at(next, c);
    prev[at(next, c)] = at(prev, c);
    next[at(prev, r)] = at(next, r);
    prev[at(next, r)] = at(prev, r);
  };
  const unlift = (id: number): void => {
    const c = at(callNode, id);
    const r = at(returnNode, id);
    prev[at(next, r)] = r;
    next[at(prev, r)] = r;
    prev[at(next, c)] = c;
    next[at(prev, c)] = c;
  };

  const done = new Uint32Array((completed >>> 5) + 1);
  const openDone = new Uint32Array((n - completed + 31) >>> 5);
  const has = (id: number): boolean => (at(done, id >>> 5) & (1 << (id & 31))) !== 0;
  const toggle = (id: number): void => {
    if (id < completed) done[id >>> 5] = at(done, id >>> 5) ^ (1 << (id & 31));
    else openDone[(id - completed) >>> 5] = at(openDone, (id - completed) >>> 5) ^ (1 << ((id - completed) & 31));
  };

  const seen = new Map<string | number, Seen<S>[]>();
  const equal = model.equal?.bind(model);
  const hash = model.hash?.bind(model);
  /** Records (linearized set, state); false if it was explored already. */
  const remember = (low: number, high: number, zob: number, state: S): boolean => {
    const h = hash?.(state);
    const key = h === undefined ? zob : typeof h === "number" ? zob ^ mixNumber(h) : `${zob}:${h}`;
    const lowWord = low >>> 5;
    const span = high > low ? (high >>> 5) - lowWord + 1 : 0;
    const bucket = seen.get(key);
    if (bucket !== undefined) {
      for (const s of bucket) {
        if (s.low !== low || s.words.length !== span + openDone.length || s.hash !== h) continue;
        let same = true;
        for (let w = 0; w < span && same; w++) same = s.words[w] === done[lowWord + w];
        for (let w = 0; w < openDone.length && same; w++) same = s.words[span + w] === openDone[w];
        if (same && (equal !== undefined ? equal(s.state, state) : h !== undefined || Object.is(s.state, state))) return false;
      }
    }
    const words = new Uint32Array(span + openDone.length);
    words.set(done.subarray(lowWord, lowWord + span));
    words.set(openDone, span);
    const entry: Seen<S> = { low, words, hash: h, state };
    if (bucket === undefined) seen.set(key, [entry]);
    else bucket.push(entry);
    return true;
  };

  const initial = model.init();
  let top: Frame<S> | undefined;
  let best: Frame<S> | undefined;
  let bestSettled = 0;
  let bestDepth = 0;
  let state = initial;
  let cursor = next[head] ?? tail;
  for (let steps = 1; ; steps++) {
    if ((steps & 63) === 0 && performance.now() > deadline) return { kind: "unknown" };
    if (cursor === tail) return { kind: "ok", order: chain(top).map((f) => at(byId, f.id)) };
    const id = at(nodeOp, cursor);
    if (isCall[cursor] === 1) {
      const result = model.step(state, at(ops, id).input, at(ops, id).output);
      // An open operation that changes nothing here need not take effect here: leaving it for later loses nothing.
      if (result.ok && !(id >= completed && (equal === undefined ? Object.is(result.state, state) : equal(result.state, state)))) {
        const zob = (top?.zob ?? 0) ^ zobrist(id);
        let low = top?.low ?? 0;
        const high = id < completed ? Math.max(top?.high ?? -1, id) : (top?.high ?? -1);
        toggle(id);
        if (id === low) while (low < completed && has(low)) low++;
        if (remember(low, high, zob, result.state)) {
          top = { id, state: result.state, parent: top, depth: (top?.depth ?? 0) + 1, settled: (top?.settled ?? 0) + (id < completed ? 1 : 0), zob, low, high };
          if (top.settled > bestSettled || (top.settled === bestSettled && top.depth < bestDepth)) {
            best = top;
            bestSettled = top.settled;
            bestDepth = top.depth;
          }
          state = result.state;
          lift(id);
          cursor = next[head] ?? tail;
          continue;
        }
        toggle(id);
      }
      cursor = next[cursor] ?? tail;
    } else {
      if (at(ops, id).completedAt === undefined) return { kind: "ok", order: chain(top).map((f) => at(byId, f.id)) };
      if (top === undefined) return illegal(ops, byId, callNode, returnNode, chain(best));
      // Backtrack: undo the last linearization and try the operations after it.
      const undone = top;
      toggle(undone.id);
      top = undone.parent;
      state = top?.state ?? initial;
      unlift(undone.id);
      cursor = next[at(callNode, undone.id)] ?? tail;
    }
  }
}

/** The failure seen from the deepest linearization: which completion it cannot pass, and what could not go next. */
function illegal<S, I, O>(ops: History<I, O>, byId: readonly number[], callNode: Int32Array, returnNode: Int32Array, prefix: readonly Frame<S>[]): SearchOutcome<S> {
  const linearized = new Set(prefix.map((f) => f.id));
  let blocking = -1;
  for (let id = 0; id < ops.length; id++) {
    if (linearized.has(id) || at(ops, id).completedAt === undefined) continue;
    if (blocking === -1 || at(returnNode, id) < at(returnNode, blocking)) blocking = id;
  }
  const unplaced: number[] = [];
  const pending: number[] = [];
  for (let id = 0; id < ops.length; id++) {
    if (linearized.has(id) || id === blocking || at(callNode, id) > at(returnNode, blocking)) continue;
    (at(ops, id).completedAt === undefined ? pending : unplaced).push(id);
  }
  unplaced.sort((a, b) => at(ops, a).invokedAt - at(ops, b).invokedAt || a - b);
  unplaced.push(blocking);
  const original = (id: number): number => at(byId, id);
  return { kind: "illegal", prefix: prefix.map((f) => ({ index: original(f.id), state: f.state })), unplaced: unplaced.map(original), blocking: original(blocking), pending: pending.map(original) };
}

/** The frames from the bottom of the stack to `top`. */
function chain<S>(top: Frame<S> | undefined): Frame<S>[] {
  const frames: Frame<S>[] = [];
  for (let f = top; f !== undefined; f = f.parent) frames.push(f);
  return frames.reverse();
}

/** An element that exists by construction (`noUncheckedIndexedAccess` cannot know). */
function at<T>(array: ArrayLike<T>, i: number): T {
  return array[i] as T;
}

/** A fixed pseudo-random 32-bit value per operation: XORed together they hash a set incrementally. */
function zobrist(id: number): number {
  return fmix32(id + 0x9e3779b9);
}

function mixNumber(h: number): number {
  return fmix32((h | 0) ^ Math.floor(h / 4294967296));
}

/** MurmurHash3's finalizer. */
function fmix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
