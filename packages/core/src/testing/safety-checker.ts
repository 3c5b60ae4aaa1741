import { Index, type Entry, type NodeId, type Term } from "../engine/index.js";

/** A broken safety property: what, where, and when (simulated ms). */
export interface Violation {
  readonly property: "election safety" | "log matching" | "leader completeness" | "state machine safety" | "linearizable read" | "proposal outcome" | "engine invariant";
  readonly detail: string;
  readonly at: number;
}

/**
 * Checks Raft's safety properties (§5.2–§5.4 of the paper, plus linearizable
 * reads) incrementally, from what the nodes report as it happens. Each hook is
 * O(what changed), so the simulator can check after every step.
 */
export class SafetyChecker {
  readonly violations: Violation[] = [];
  /** Simulated time, for reports. */
  now = 0;

  private readonly leaderOfTerm = new Map<Term, NodeId>();
  /** (index, term) → the entry's content and the term before it: equal everywhere iff logs match. */
  private readonly entryAt = new Map<string, string>();
  /** index → (term, value) applied by any node. */
  private readonly appliedAt = new Map<Index, { term: Term; value: string }>();
  private readonly indexOfValue = new Map<string, Index>();
  /** Commands a client was told took no effect (`ProposalDropped`). */
  private readonly dropped = new Set<string>();
  /** Highest index of a write acknowledged to a client so far. */
  private maxAckedIndex = Index.zero;

  /** §5.2 election safety: at most one leader per term. */
  leaderElected(id: NodeId, term: Term, log: (lo: Index, hi: Index) => Entry[], lastIndex: Index): void {
    const prev = this.leaderOfTerm.get(term);
    if (prev !== undefined && prev !== id) this.fail("election safety", `nodes ${prev} and ${id} both lead term ${term}`);
    this.leaderOfTerm.set(term, id);
    this.checkLeaderCompleteness(id, term, log, lastIndex);
  }

  /** §5.4.1 leader completeness: a new leader holds every entry committed before its term. */
  private checkLeaderCompleteness(id: NodeId, term: Term, log: (lo: Index, hi: Index) => Entry[], lastIndex: Index): void {
    let maxCommitted = 0;
    for (const i of this.appliedAt.keys()) maxCommitted = Math.max(maxCommitted, i);
    if (maxCommitted === 0) return;
    if (lastIndex < maxCommitted) {
      this.fail("leader completeness", `node ${id} leads term ${term} with last index ${lastIndex}, but ${maxCommitted} is committed`);
      return;
    }
    let entries: Entry[];
    try {
      entries = log(Index.of(1), Index.of(maxCommitted + 1));
    } catch {
      return; // a compacted prefix is covered by the snapshot it came from
    }
    for (const e of entries) {
      const applied = this.appliedAt.get(e.index);
      if (applied !== undefined && applied.term !== e.term) {
        this.fail("leader completeness", `node ${id} leads term ${term} but holds (${e.index}, term ${e.term}); committed was term ${applied.term}`);
        return;
      }
    }
  }

  /** §5.3 log matching, checked on every durable write: (index, term) fixes the entry and the term before it. */
  entriesWritten(id: NodeId, entries: readonly Entry[], termAt: (index: Index) => Term | undefined): void {
    for (const e of entries) {
      const key = `${e.index}:${e.term}`;
      const fingerprint = `${termAt(Index.of(e.index - 1)) ?? "?"}|${e.kind}|${bytesKey(e.data)}`;
      const seen = this.entryAt.get(key);
      if (seen === undefined) this.entryAt.set(key, fingerprint);
      else if (seen !== fingerprint && !seen.startsWith("?") && !fingerprint.startsWith("?")) {
        this.fail("log matching", `node ${id} wrote (${e.index}, term ${e.term}) as ${fingerprint}; elsewhere it is ${seen}`);
      }
    }
  }

  /** §5.4.3 state machine safety: every node applies the same command at an index, and a command at one index only. */
  applied(id: NodeId, index: Index, term: Term, value: string): void {
    const seen = this.appliedAt.get(index);
    if (seen === undefined) this.appliedAt.set(index, { term, value });
    else if (seen.term !== term || seen.value !== value) {
      this.fail("state machine safety", `node ${id} applied "${value}" (term ${term}) at ${index}; another node applied "${seen.value}" (term ${seen.term})`);
    }
    const at = this.indexOfValue.get(value);
    if (at === undefined) this.indexOfValue.set(value, index);
    else if (at !== index) this.fail("state machine safety", `command "${value}" applied at ${at} and at ${index}`);
    if (this.dropped.has(value)) this.fail("proposal outcome", `node ${id} applied "${value}" at ${index}, but its client was told it was dropped`);
  }

  /** A client was told its write of `value` took no effect (`ProposalDropped`): no node may ever apply it. */
  writeDropped(value: string): void {
    this.dropped.add(value);
    const at = this.indexOfValue.get(value);
    if (at !== undefined) this.fail("proposal outcome", `"${value}" was reported dropped, but it was applied at ${at}`);
  }

  /** A client was told its write (at `index`) succeeded. */
  writeAcknowledged(index: Index): void {
    this.maxAckedIndex = Index.of(Math.max(this.maxAckedIndex, index));
  }

  /** A linearizable read starts; pass the token to `readReturned`. */
  readStarted(): Index {
    return this.maxAckedIndex;
  }

  /** A read returned having observed the state at `observedIndex`: it must include every write acknowledged before it started. */
  readReturned(id: NodeId, startToken: Index, observedIndex: Index): void {
    if (observedIndex < startToken) {
      this.fail("linearizable read", `node ${id} served a read at state ${observedIndex}, but write ${startToken} was acknowledged before the read began`);
    }
  }

  /** A node stopped on its own: an engine or state machine invariant broke (crashes injected by the simulator do not report here). */
  nodeFailed(id: NodeId, error: Error): void {
    this.fail("engine invariant", `node ${id} failed: ${error.message}`);
  }

  private fail(property: Violation["property"], detail: string): void {
    this.violations.push({ property, detail, at: this.now });
  }
}

function bytesKey(data: Uint8Array): string {
  let s = `${data.length}:`;
  for (let i = 0; i < data.length; i++) s += String.fromCharCode(data[i] as number);
  return s;
}
