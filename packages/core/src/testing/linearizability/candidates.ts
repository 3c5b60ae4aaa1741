import type { History } from "./history.js";

/**
 * What the search may linearize next, as Porcupine keeps it: the completed
 * operations' invocations and completions as a doubly linked list in time
 * order (invocations first at equal times), from which linearizing an
 * operation lifts both its events and backtracking puts them back; the
 * candidates are the invocations before the first completion. Open
 * operations, which have no completion, wait in a second list.
 *
 * Operations are named by id: the completed ones are 0..completed-1, the open
 * ones completed..n-1, each group by invocation.
 */
export class Candidates {
  /** List nodes: 0 heads the completed list, 1..2·completed are events, 2·completed+1 ends it. */
  readonly tail: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly nodeOp: Int32Array;
  private readonly isCallNode: Uint8Array;
  private readonly callNode: Int32Array;
  private readonly returnNode: Int32Array;
  /** Every event's rank in time order, for comparing open invocations with completions. */
  private readonly callRank: Int32Array;
  private readonly returnRank: Int32Array;
  /** The open list over ids; `n` heads it, `n+1` ends it. */
  readonly openEnd: number;
  private readonly openNext: Int32Array;
  private readonly openPrev: Int32Array;

  constructor(
    ops: History<unknown, unknown>,
    readonly completed: number,
  ) {
    const n = ops.length;
    const events = Array.from({ length: n + completed }, (_, e) => e);
    const timeOf = (e: number): number => (e < n ? (ops[e]?.invokedAt as number) : (ops[e - n]?.completedAt as number));
    events.sort((a, b) => timeOf(a) - timeOf(b) || Number(a >= n) - Number(b >= n) || a - b);
    this.callRank = new Int32Array(n);
    this.returnRank = new Int32Array(completed);
    this.tail = 2 * completed + 1;
    this.next = new Int32Array(this.tail + 1);
    this.prev = new Int32Array(this.tail + 1);
    this.nodeOp = new Int32Array(this.tail + 1);
    this.isCallNode = new Uint8Array(this.tail + 1);
    this.callNode = new Int32Array(completed);
    this.returnNode = new Int32Array(completed);
    let node = 0;
    events.forEach((e, rank) => {
      if (e < n) this.callRank[e] = rank;
      else this.returnRank[e - n] = rank;
      if (e >= completed && e < n) return; // an open invocation: not in this list
      node++;
      if (e < n) {
        this.callNode[e] = node;
        this.isCallNode[node] = 1;
      } else this.returnNode[e - n] = node;
      this.nodeOp[node] = e % n;
      this.next[node] = node + 1;
      this.prev[node] = node - 1;
    });
    this.next[0] = 1;
    this.prev[this.tail] = this.tail - 1;

    this.openEnd = n + 1;
    this.openNext = new Int32Array(n + 2);
    this.openPrev = new Int32Array(n + 2);
    let last = n;
    for (let id = completed; id < n; id++) {
      this.openNext[last] = id;
      this.openPrev[id] = last;
      last = id;
    }
    this.openNext[last] = this.openEnd;
    this.openPrev[this.openEnd] = last;
  }

  /** The first node of the completed list (`tail` when every completed operation is linearized). */
  first(): number {
    return this.next[0] as number;
  }

  after(node: number): number {
    return this.next[node] as number;
  }

  isCall(node: number): boolean {
    return this.isCallNode[node] === 1;
  }

  opAt(node: number): number {
    return this.nodeOp[node] as number;
  }

  /** The node of a completed operation's invocation. */
  callOf(id: number): number {
    return this.callNode[id] as number;
  }

  /** When an operation was invoked, and when a completed one completed, as ranks in time order. */
  invokedRank(id: number): number {
    return this.callRank[id] as number;
  }

  completedRank(id: number): number {
    return this.returnRank[id] as number;
  }

  /** Takes a completed operation's two events out of the list. */
  lift(id: number): void {
    this.unlink(this.callNode[id] as number);
    this.unlink(this.returnNode[id] as number);
  }

  /** Puts them back: the reverse of the last `lift`. */
  unlift(id: number): void {
    this.relink(this.returnNode[id] as number);
    this.relink(this.callNode[id] as number);
  }

  /** The first open operation not linearized, or `openEnd`. */
  firstOpen(): number {
    return this.openNext[this.openEnd - 1] as number;
  }

  afterOpen(id: number): number {
    return this.openNext[id] as number;
  }

  liftOpen(id: number): void {
    const before = this.openPrev[id] as number;
    const after = this.openNext[id] as number;
    this.openNext[before] = after;
    this.openPrev[after] = before;
  }

  unliftOpen(id: number): void {
    this.openNext[this.openPrev[id] as number] = id;
    this.openPrev[this.openNext[id] as number] = id;
  }

  private unlink(node: number): void {
    const before = this.prev[node] as number;
    const after = this.next[node] as number;
    this.next[before] = after;
    this.prev[after] = before;
  }

  private relink(node: number): void {
    this.next[this.prev[node] as number] = node;
    this.prev[this.next[node] as number] = node;
  }
}
