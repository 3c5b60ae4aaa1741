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
}

/**
 * Client proposals waiting for their entry to apply. A proposal took effect
 * iff the entry applied at its index carries its term. Once an entry of term
 * T applies, no proposal of an earlier term can commit any more: every later
 * entry in a log that holds a term-T entry has a term ≥ T.
 */
export class PendingProposals<Result> {
  private readonly byIndex = new Map<Index, Proposal<Result>>();
  private oldestTerm = Infinity;

  get size(): number {
    return this.byIndex.size;
  }

  /** Waits for the entry (index, term) of `kind` (a command, or a membership change) to apply. */
  add(index: Index, term: Term, waiter: Waiter<Result>, kind: EntryKind = "normal"): void {
    // Proposing at an index we proposed at before means our log replaced that entry.
    this.take(index)?.reject(dropped(index, term));
    this.byIndex.set(index, { resolve: waiter.resolve, reject: waiter.reject, term, kind });
    this.oldestTerm = Math.min(this.oldestTerm, term);
  }

  /**
   * The wait for the proposal at `index` ends after `timeoutMs` (0: never)
   * or when `signal` aborts: it rejects with `Timeout` or `Aborted`, its
   * outcome unknown (the entry may still apply).
   */
  bound(index: Index, o: { clock: Clock; timeoutMs: number; signal?: AbortSignal | undefined }): void {
    const p = this.byIndex.get(index);
    if (p === undefined) return;
    const end = (error: RaftError) => {
      if (this.byIndex.get(index) === p) this.take(index)?.reject(error);
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
    if (this.byIndex.size === 0) return;
    const w = this.take(index);
    if (w !== undefined) {
      if (w.term === term && w.kind === kind) w.resolve(result as Result);
      else w.reject(dropped(index, term));
    }
    if (term > this.oldestTerm) this.dropOlderThan(term);
  }

  rejectAll(error: Error): void {
    for (const w of this.byIndex.values()) {
      w.release?.();
      w.reject(error);
    }
    this.byIndex.clear();
    this.oldestTerm = Infinity;
  }

  /** An installed snapshot covers entries up to `index`: their results are unknowable here. */
  coveredBySnapshot(index: Index): void {
    for (const [i, w] of this.byIndex) {
      if (i > index) continue;
      this.take(i);
      w.reject(new RaftError("Unavailable", `outcome unknown: this node installed a snapshot covering entry ${i}`));
    }
  }

  /** Removes the proposal at `index` (cancelling its timer) and returns it. */
  private take(index: Index): Proposal<Result> | undefined {
    const p = this.byIndex.get(index);
    if (p === undefined) return undefined;
    this.byIndex.delete(index);
    p.release?.();
    return p;
  }

  private dropOlderThan(term: Term): void {
    let oldest = Infinity;
    for (const [index, w] of this.byIndex) {
      if (w.term < term) {
        this.take(index);
        w.reject(dropped(index, term));
      } else oldest = Math.min(oldest, w.term);
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
