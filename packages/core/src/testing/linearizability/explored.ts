import type { Model } from "./model.js";

/** One configuration explored: the completed operations linearized, the open ones used, and the state. */
interface Entry<S> {
  readonly low: number;
  /** The completed set's words from `low`'s word on, then the open set's words, as int32s (unboxed in a plain array). */
  readonly words: readonly number[];
  readonly hash: string | number | undefined;
  readonly state: S;
}

/**
 * Lowe's memoization: the configurations (linearized set, state) the search
 * has explored, so it never explores one twice, nor one dominated by an
 * explored one: the same completed operations and state with a superset of
 * its open operations used (open operations are optional, so using one only
 * removes an option). Completed sets are given as `low` (every completed
 * operation below it is linearized, `low` is not) plus the bit words up to
 * `high`, which keeps entries small however long the history.
 */
export class ExploredConfigurations<S> {
  private readonly buckets = new Map<number, Entry<S>[]>();
  private readonly equal: ((a: S, b: S) => boolean) | undefined;
  private readonly hash: ((state: S) => string | number) | undefined;

  constructor(model: Pick<Model<S, unknown, unknown>, "equal" | "hash">) {
    this.equal = model.equal?.bind(model);
    this.hash = model.hash?.bind(model);
  }

  /** Whether two states are the same for the search. */
  same(a: S, b: S): boolean {
    if (this.equal !== undefined) return this.equal(a, b);
    if (this.hash !== undefined) return this.hash(a) === this.hash(b);
    return Object.is(a, b);
  }

  /**
   * Records a configuration; false if it, or one dominating it, was explored
   * already. `zob` hashes the completed set; `done` and `openDone` are its
   * bits and the open operations' bits.
   */
  add(low: number, high: number, zob: number, done: Uint32Array, openDone: Uint32Array, state: S): boolean {
    const h = this.hash?.(state);
    const key = (zob ^ (h !== undefined ? hashOf(h) : this.equal === undefined ? hashOf(state) : 0)) | 0;
    const lowWord = low >>> 5;
    const span = high > low ? (high >>> 5) - lowWord + 1 : 0;
    const bucket = this.buckets.get(key);
    let dominates = false;
    if (bucket !== undefined) {
      for (const e of bucket) {
        const c = this.compare(e, low, lowWord, span, done, openDone, h, state);
        if (c === 1) return false;
        if (c === -1) dominates = true;
      }
    }
    const words: number[] = [];
    for (let w = 0; w < span; w++) words.push((done[lowWord + w] as number) | 0);
    for (let w = 0; w < openDone.length; w++) words.push((openDone[w] as number) | 0);
    const entry: Entry<S> = { low, words, hash: h, state };
    if (bucket === undefined) this.buckets.set(key, [entry]);
    else if (!dominates) bucket.push(entry);
    else this.buckets.set(key, [...bucket.filter((e) => this.compare(e, low, lowWord, span, done, openDone, h, state) !== -1), entry]); // only the minimal ones matter
    return true;
  }

  /** 1: `e` is this configuration or dominates it; -1: this one dominates `e`; 0: unrelated. */
  private compare(e: Entry<S>, low: number, lowWord: number, span: number, done: Uint32Array, openDone: Uint32Array, h: string | number | undefined, state: S): number {
    if (e.low !== low || e.words.length !== span + openDone.length || e.hash !== h) return 0;
    for (let w = 0; w < span; w++) if (e.words[w] !== ((done[lowWord + w] as number) | 0)) return 0;
    let subset = true;
    let superset = true;
    for (let w = 0; w < openDone.length; w++) {
      const theirs = e.words[span + w] as number;
      const ours = (openDone[w] as number) | 0;
      subset &&= (theirs & ~ours) === 0;
      superset &&= (ours & ~theirs) === 0;
    }
    if (!subset && !superset) return 0;
    if (this.equal !== undefined ? !this.equal(e.state, state) : h === undefined && !Object.is(e.state, state)) return 0;
    return subset ? 1 : -1;
  }
}

/** A 32-bit hash of a primitive (0 for objects: they are told apart by `equal` or identity). */
function hashOf(value: unknown): number {
  switch (typeof value) {
    case "number":
      return fmix32((value | 0) ^ Math.floor(value / 4294967296)) ^ 0x5bd1e995;
    case "string": {
      let h = 0x811c9dc5; // FNV-1a
      for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
      return fmix32(h);
    }
    case "boolean":
      return value ? 0x2545f491 : 0x1b873593;
    case "bigint":
      return hashOf(value.toString());
    default:
      return value === null ? 0x68e31da4 : 0;
  }
}

/** MurmurHash3's finalizer. */
export function fmix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
