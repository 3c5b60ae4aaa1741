import { Index, RaftError, type Command, type SnapshotFileStream, type SnapshotMeta, type StateMachine, type StateMachineSnapshot } from "@raft/core/contracts";
import { AccountTable, type BankAccount } from "./account-table.js";
import { execute } from "./execute.js";
import { parseBankStateMachineOptions, type BankStateMachineOptions, type ResolvedBankStateMachineOptions } from "./options.js";
import { RequestTable } from "./request-table.js";
import { resultOf, type BankRequestRecord, type BankResult } from "./result.js";
import { snapshotFiles } from "./snapshot-files.js";
import { SNAPSHOT_FORMAT } from "./snapshot-format.js";
import { readBankSnapshot } from "./snapshot-reader.js";

/** A slice of the accounts, in opening order. */
export interface AccountRange {
  readonly offset?: number;
  readonly limit?: number;
}

/**
 * The bank as a replicated `StateMachine`: accounts with integer balances,
 * exactly-once requests through a bounded session table, and snapshots
 * streamed from a copy-on-write view.
 *
 * Queries read this node's local state: it is as fresh as this node's applied
 * index (use `RaftNode.read()` first for a linearizable read).
 */
export class BankStateMachine implements StateMachine<BankResult> {
  private readonly options: ResolvedBankStateMachineOptions;
  private accountTable = new AccountTable();
  private requestTable: RequestTable;
  private applied = Index.zero;

  /** Throws `RaftError("InvalidConfig")` for invalid options. */
  constructor(options: BankStateMachineOptions = {}) {
    this.options = parseBankStateMachineOptions(options);
    this.requestTable = new RequestTable(this.options.dedupCapacity);
  }

  /**
   * Applies committed commands in order, one result each. A malformed or
   * rejected command still gets a result (see `BankResult`); only commands out
   * of log order throw (`Corrupt`: the caller broke the port's contract), and
   * then nothing of the batch is applied.
   */
  apply(commands: readonly Command[]): BankResult[] {
    let last = this.applied;
    for (const c of commands) {
      if (c.index <= last) throw new RaftError("Corrupt", `bank command at index ${c.index} arrived after index ${last}`);
      last = c.index;
    }
    const state = { accounts: this.accountTable, requests: this.requestTable };
    const results = commands.map((c) => execute(state, c.index, c.data));
    this.applied = last;
    return results;
  }

  /**
   * A frozen view of the state now, returned at once: files are encoded as
   * they are read, and later applies do not change them (balances they
   * overwrite and requests they evict are saved copy-on-write until the view
   * is released or fully read).
   */
  snapshot(): StateMachineSnapshot {
    const accounts = this.accountTable.freeze();
    const requests = this.requestTable.freeze();
    const header = {
      format: SNAPSHOT_FORMAT,
      appliedIndex: this.applied,
      accounts: accounts.count,
      total: accounts.total,
      requests: requests.count,
      dedupCapacity: this.options.dedupCapacity,
    } as const;
    return snapshotFiles(header, accounts, requests, this.options.snapshotChunkBytes);
  }

  /** `restore` decodes each chunk into text before it pulls the next, so the runtime may read the snapshot into reused buffers. */
  readonly reuseRestoreBuffers = true;

  /**
   * Replaces the whole state with a snapshot's, parsed as it streams. The new
   * state is built aside and swapped in at the end: a failed restore (`Corrupt`,
   * or `InvalidConfig` for another `dedupCapacity`) leaves the state as it was.
   */
  async restore(meta: SnapshotMeta, files: SnapshotFileStream): Promise<void> {
    const restored = await readBankSnapshot(meta, files, this.options.dedupCapacity);
    this.accountTable = restored.accounts;
    this.requestTable = restored.requests;
    this.applied = restored.appliedIndex;
  }

  /** The balance of `id` in minor units, or undefined when no such account is open. */
  balance(id: string): number | undefined {
    const p = this.accountTable.positionOf(id);
    return p === undefined ? undefined : this.accountTable.balanceAt(p);
  }

  /**
   * Accounts in opening order (stable: accounts are never closed, so offsets
   * page reliably). The iterator reads live state: iterate it without awaiting
   * in between for a consistent listing.
   */
  accounts(range: AccountRange = {}): IterableIterator<BankAccount> {
    return this.accountTable.entries(range.offset ?? 0, range.limit ?? Infinity);
  }

  /** The sum of all balances: opening balances plus deposits minus withdrawals. */
  total(): number {
    return this.accountTable.total;
  }

  accountCount(): number {
    return this.accountTable.count;
  }

  /** The remembered request `requestId`: where it was first applied and what it answered then (`duplicate: false`). */
  request(requestId: string): BankRequestRecord | undefined {
    const e = this.requestTable.get(requestId);
    return e === undefined ? undefined : { index: e.index, result: resultOf(e.outcome, e.index, false) };
  }

  /** Request ids remembered now (at most `dedupCapacity`). */
  requestCount(): number {
    return this.requestTable.count;
  }

  /** The remembered requests, oldest first: the next eviction is the first one. */
  requests(): IterableIterator<{ readonly requestId: string } & BankRequestRecord> {
    return mapIterator(this.requestTable.entries(), (e) => ({ requestId: e.requestId, index: e.index, result: resultOf(e.outcome, e.index, false) }));
  }

  /**
   * The index of the last command applied (or restored). No-ops and membership
   * entries never reach the state machine, so this can trail the node's
   * applied index; `RaftNode.status().applied` is the node's.
   */
  appliedIndex(): Index {
    return this.applied;
  }

  get dedupCapacity(): number {
    return this.options.dedupCapacity;
  }

  /** Snapshot views not yet released (diagnostics and tests: 0 once every snapshot was read or released). */
  heldSnapshotViews(): number {
    return Math.max(this.accountTable.frozenViews, this.requestTable.frozenViews);
  }
}

function* mapIterator<T, U>(source: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const t of source) yield f(t);
}
