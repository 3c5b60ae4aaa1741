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
  /** For an open operation: the rank of the completion that bounded the candidates when it was linearized. */
  readonly limit: number;
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
 * backtrack. Open operations never have to be linearized, so they are tried
 * only after the completed candidates, and never where they change nothing.
 * Iterative, and it checks `deadline` (a `performance.now()` time) as it
 * goes, so it cannot hang.
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

  // Every invocation and completion ranked in time order (invocations first at equal times).
  const events = Array.from({ length: n + completed }, (_, e) => e);
  const timeOf = (e: number): number => (e < n ? at(ops, e).invokedAt : (at(ops, e - n).completedAt as number));
  events.sort((a, b) => timeOf(a) - timeOf(b) || Number(a >= n) - Number(b >= n) || a - b);
  const callRank = new Int32Array(n);
  const returnRank = new Int32Array(completed);
  events.forEach((e, rank) => (e < n ? (callRank[e] = rank) : (returnRank[e - n] = rank)));

  // The completed operations' events as a doubly linked list of nodes 1..2c in time order;
  // node 0 heads it, node 2c+1 ends it. Linearizing an operation lifts its two nodes out.
  const head = 0;
  const tail = 2 * completed + 1;
  const next = new Int32Array(tail + 1);
  const prev = new Int32Array(tail + 1);
  const nodeOp = new Int32Array(tail + 1);
  const isCall = new Uint8Array(tail + 1);
  const callNode = new Int32Array(completed);
  const returnNode = new Int32Array(completed);
  let node = 0;
  for (const e of events) {
    if (e >= n) returnNode[e - n] = ++node;
    else if (e < completed) {
      callNode[e] = ++node;
      isCall[node] = 1;
    } else continue;
    nodeOp[node] = e % n;
    next[node] = node + 1;
    prev[node] = node - 1;
  }
  next[head] = 1;
  prev[tail] = tail - 1;
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

  // Open operations not linearized, by invocation: a list of ids, headed by n, ended by n+1.
  const openHead = n;
  const openTail = n + 1;
  const openNext = new Int32Array(n + 2);
  const openPrev = new Int32Array(n + 2);
  let lastOpen = openHead;
  for (let id = completed; id < n; id++) {
    openNext[lastOpen] = id;
    openPrev[id] = lastOpen;
    lastOpen = id;
  }
  openNext[lastOpen] = openTail;
  openPrev[openTail] = lastOpen;
  const liftOpen = (id: number): void => {
    openNext[at(openPrev, id)] = at(openNext, id);
    openPrev[at(openNext, id)] = at(openPrev, id);
  };
  const unliftOpen = (id: number): void => {
    openNext[at(openPrev, id)] = id;
    openPrev[at(openNext, id)] = id;
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
  /** Linearizes `id` next if the model accepts it there and that leads somewhere new. */
  const tryLinearize = (id: number, limit: number): boolean => {
    const op = at(ops, id);
    const result = model.step(state, op.input, op.output);
    if (!result.ok) return false;
    const open = id >= completed;
    // An open operation that changes nothing here need not take effect here: leaving it for later loses nothing.
    if (open && (equal === undefined ? Object.is(result.state, state) : equal(result.state, state))) return false;
    const zob = (top?.zob ?? 0) ^ zobrist(id);
    let low = top?.low ?? 0;
    const high = open ? (top?.high ?? -1) : Math.max(top?.high ?? -1, id);
    toggle(id);
    if (id === low) while (low < completed && has(low)) low++;
    if (!remember(low, high, zob, result.state)) {
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
    if (open) liftOpen(id);
    else lift(id);
    return true;
  };

  // At each configuration: the completed candidates in time order (`cursor`), then, once the cursor
  // reaches the first completion, the open operations invoked before it (`openCursor`, below `limit`).
  let cursor = at(next, head);
  let openCursor = openTail;
  let limit = -1;
  for (let steps = 1; ; steps++) {
    if ((steps & 63) === 0 && performance.now() > deadline) return { kind: "unknown" };
    if (at(next, head) === tail) return { kind: "ok", order: chain(top).map((f) => at(byId, f.id)) };
    if (limit === -1) {
      if (isCall[cursor] === 1) {
        if (tryLinearize(at(nodeOp, cursor), -1)) cursor = at(next, head);
        else cursor = at(next, cursor);
      } else {
        limit = at(returnRank, at(nodeOp, cursor));
        openCursor = at(openNext, openHead);
      }
      continue;
    }
    if (openCursor !== openTail && at(callRank, openCursor) < limit) {
      if (tryLinearize(openCursor, limit)) {
        limit = -1;
        cursor = at(next, head);
      } else openCursor = at(openNext, openCursor);
      continue;
    }
    if (top === undefined) return illegal(ops, byId, callRank, returnRank, chain(best));
    // Backtrack: undo the last linearization and try the candidates after it.
    const undone = top;
    toggle(undone.id);
    top = undone.parent;
    state = top?.state ?? initial;
    if (undone.id < completed) {
      unlift(undone.id);
      cursor = at(next, at(callNode, undone.id));
      limit = -1;
    } else {
      unliftOpen(undone.id);
      openCursor = at(openNext, undone.id);
      limit = undone.limit;
    }
  }
}

/** The failure seen from the longest prefix: which completion it cannot pass, and what could not go next. */
function illegal<S, I, O>(ops: History<I, O>, byId: readonly number[], callRank: Int32Array, returnRank: Int32Array, prefix: readonly Frame<S>[]): SearchOutcome<S> {
  const linearized = new Set(prefix.map((f) => f.id));
  let blocking = -1;
  for (let id = 0; id < returnRank.length; id++) {
    if (!linearized.has(id) && (blocking === -1 || at(returnRank, id) < at(returnRank, blocking))) blocking = id;
  }
  const unplaced: number[] = [];
  const pending: number[] = [];
  for (let id = 0; id < ops.length; id++) {
    if (linearized.has(id) || id === blocking || at(callRank, id) > at(returnRank, blocking)) continue;
    (id >= returnRank.length ? pending : unplaced).push(id);
  }
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
