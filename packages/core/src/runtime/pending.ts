import type { Clock } from "../contracts/index.js";
import { RaftError, type EntryKind, type Index, type Term } from "../engine/index.js";

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

interface Proposal<Result> extends Waiter<Result> {
  readonly term: Term;
  readonly kind: EntryKind;
  /** Cancels its timer and abort listener, if it has them. */
  release?: () => void;
  /** A proposal waiting at the same index in another term (see `add`). */
  other: Proposal<Result> | undefined;
}

/**
 * Client proposals waiting for their entry to apply. A proposal took effect
 * iff the entry applied at its index carries its term. Once an entry of term
 * T applies, no proposal of an earlier term can commit any more: every later
 * entry in a log that holds a term-T entry has a term ≥ T.
 */
export class PendingProposals<Result> {
  /** The newest proposal at each index; older ones at that index hang off it by `other`. */
  private readonly byIndex = new Map<Index, Proposal<Result>>();
  private count = 0;
  private oldestTerm = Infinity;

  get size(): number {
    return this.count;
  }

  /**
   * Waits for the entry (index, term) of `kind` (a command, or a membership
   * change) to apply. Several proposals may wait at one index in different
   * terms: a leader whose log was cut back (a newer leader's shorter append
   * truncated it) proposes at an index again, while another node still holds
   * its first entry there and may yet be elected and commit it. At most one
   * of them commits, and which one is only known when that index applies.
   */
  add(index: Index, term: Term, waiter: Waiter<Result>, kind: EntryKind = "normal"): void {
    this.byIndex.set(index, { resolve: waiter.resolve, reject: waiter.reject, term, kind, other: this.byIndex.get(index) });
    this.count++;
    this.oldestTerm = Math.min(this.oldestTerm, term);
  }

  /**
   * The wait for the proposal just added at `index` ends after `timeoutMs`
   * (0: never) or when `signal` aborts: it rejects with `Timeout` or
   * `Aborted`, its outcome unknown (the entry may still apply).
   */
  bound(index: Index, o: { clock: Clock; timeoutMs: number; signal?: AbortSignal | undefined }): void {
    const p = this.byIndex.get(index);
    if (p === undefined) return;
    const end = (error: RaftError) => {
      if (this.remove(index, p)) p.reject(error);
    };
    const cancelTimer =
      o.timeoutMs > 0 ? o.clock.setTimeout(() => end(new RaftError("Timeout", `the proposal at ${index} was not applied within ${o.timeoutMs} ms; its outcome is unknown`)), o.timeoutMs) : undefined;
    const onAbort = () => end(new RaftError("Aborted", `the wait for the proposal at ${index} was aborted; its outcome is unknown`));
    o.signal?.addEventListener("abort", onAbort, { once: true });
    p.release = () => {
      cancelTimer?.();
      o.signal?.removeEventListener("abort", onAbort);
    };
  }

  /** The entry (index, term) of `kind` applied with `result` (undefined for entries that carry no command). */
  settle(index: Index, term: Term, result: Result | undefined, kind: EntryKind): void {
    if (this.count === 0) return;
    for (let p = this.takeAll(index); p !== undefined; p = p.other) {
      if (p.term === term && p.kind === kind) p.resolve(result as Result);
      else p.reject(dropped(index, term));
    }
    if (term > this.oldestTerm) this.dropOlderThan(term);
  }

  rejectAll(error: Error): void {
    for (const index of [...this.byIndex.keys()]) {
      for (let p = this.takeAll(index); p !== undefined; p = p.other) p.reject(error);
    }
    this.oldestTerm = Infinity;
  }

  /**
   * An installed snapshot covers entries up to (`index`, `term`): their
   * results are unknowable here. Its last entry is committed, so, as when an
   * entry applies, proposals of older terms after it can no longer commit.
   */
  coveredBySnapshot(index: Index, term: Term): void {
    for (const i of [...this.byIndex.keys()]) {
      if (i > index) continue;
      for (let p = this.takeAll(i); p !== undefined; p = p.other) {
        p.reject(new RaftError("Unavailable", `outcome unknown: this node installed a snapshot covering entry ${i}`));
      }
    }
    if (term > this.oldestTerm) this.dropOlderThan(term);
  }

  /** Removes every proposal at `index` (cancelling their timers); returns the first, the rest linked by `other`. */
  private takeAll(index: Index): Proposal<Result> | undefined {
    const first = this.byIndex.get(index);
    if (first === undefined) return undefined;
    this.byIndex.delete(index);
    for (let p: Proposal<Result> | undefined = first; p !== undefined; p = p.other) {
      this.count--;
      p.release?.();
    }
    return first;
  }

  /** Removes `p` from those at `index` (cancelling its timer); false if it was no longer there. */
  private remove(index: Index, p: Proposal<Result>): boolean {
    const first = this.byIndex.get(index);
    if (first === p) {
      if (p.other === undefined) this.byIndex.delete(index);
      else this.byIndex.set(index, p.other);
    } else {
      let q = first;
      while (q !== undefined && q.other !== p) q = q.other;
      if (q === undefined) return false;
      q.other = p.other;
    }
    this.count--;
    p.release?.();
    return true;
  }

  private dropOlderThan(term: Term): void {
    let oldest = Infinity;
    for (const [index, first] of [...this.byIndex]) {
      for (let p: Proposal<Result> | undefined = first; p !== undefined; p = p.other) {
        if (p.term >= term) oldest = Math.min(oldest, p.term);
        else if (this.remove(index, p)) p.reject(dropped(index, term));
      }
    }
    this.oldestTerm = oldest;
  }
}

function dropped(index: Index, term: Term): RaftError {
  return new RaftError("ProposalDropped", `the entry proposed at ${index} was replaced by a leader of term ${term}`);
}

interface PendingRead extends Waiter<Index> {
  cancelTimer(): void;
  /** Set once the engine gave the read point. */
  index?: Index;
}

/** Linearizable reads: waiting for a read point, then for that point to be applied. */
export class PendingReads {
  private readonly byId = new Map<number, PendingRead>();
  private readonly awaitingApply: { id: number; index: Index }[] = [];

  get size(): number {
    return this.byId.size;
  }

  add(id: number, read: PendingRead): void {
    this.byId.set(id, read);
  }

  /** The engine confirmed a read point; serve now if applied, else once applied. */
  confirmed(id: number, index: Index, applied: Index): void {
    const r = this.byId.get(id);
    if (r === undefined) return;
    if (index <= applied) this.finish(id, (x) => x.resolve(index));
    else this.awaitingApply.push({ id, index });
  }

  /** Serves every read whose point is now applied. */
  appliedTo(applied: Index): void {
    if (this.awaitingApply.length === 0) return;
    let kept = 0;
    for (const r of this.awaitingApply) {
      if (r.index <= applied) this.finish(r.id, (x) => x.resolve(r.index));
      else this.awaitingApply[kept++] = r;
    }
    this.awaitingApply.length = kept;
  }

  fail(id: number, error: Error): void {
    this.finish(id, (x) => x.reject(error));
  }

  rejectAll(error: Error): void {
    for (const id of [...this.byId.keys()]) this.fail(id, error);
    this.awaitingApply.length = 0;
  }

  private finish(id: number, settle: (r: PendingRead) => void): void {
    const r = this.byId.get(id);
    if (r === undefined) return;
    this.byId.delete(id);
    r.cancelTimer();
    settle(r);
  }
}
