import type Database from "better-sqlite3";
import type { EntryRow } from "./entry-codec.js";

export interface StoredState {
  readonly base_index: number;
  readonly base_term: number;
  readonly term: number;
  readonly vote: number;
  readonly commit_index: number;
}

/**
 * The statements of the main thread's read connection, prepared once when it
 * opens (writes run in the writer thread: write-statements.ts).
 */
export class ReadStatements {
  private readonly selectTerm: Database.Statement<[number], number>;
  private readonly selectRange: Database.Statement<[number, number], EntryRow>;
  private readonly selectState: Database.Statement<[], StoredState>;
  private readonly selectFirst: Database.Statement<[], number>;
  private readonly selectLast: Database.Statement<[], number>;
  private readonly begin: Database.Statement<[]>;
  private readonly touch: Database.Statement<[], number>;
  private readonly end: Database.Statement<[]>;
  private pinned = false;

  constructor(private readonly db: Database.Database) {
    this.selectTerm = db.prepare<[number], number>("SELECT term FROM entries WHERE idx = ?").pluck();
    this.selectRange = db.prepare<[number, number], EntryRow>("SELECT idx, term, kind, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx").raw();
    this.selectState = db.prepare<[], StoredState>("SELECT base_index, base_term, term, vote, commit_index FROM state");
    // Two queries: min() and max() in one would scan the table instead of reading both ends of the b-tree.
    this.selectFirst = db.prepare<[], number>("SELECT idx FROM entries ORDER BY idx LIMIT 1").pluck();
    this.selectLast = db.prepare<[], number>("SELECT idx FROM entries ORDER BY idx DESC LIMIT 1").pluck();
    this.begin = db.prepare("BEGIN DEFERRED");
    this.touch = db.prepare<[], number>("SELECT id FROM state LIMIT 1").pluck();
    this.end = db.prepare("COMMIT");
  }

  /** The term stored at `index`, or undefined when there is no such row. */
  term(index: number): number | undefined {
    return this.selectTerm.get(index);
  }

  /** Rows in [lo, hi) in index order, read one at a time: stop iterating and the rest is never read. */
  range(lo: number, hi: number): IterableIterator<EntryRow> {
    return this.selectRange.iterate(lo, hi);
  }

  /** Every row of the state table (exactly one in a sound file). */
  states(): StoredState[] {
    return this.selectState.all();
  }

  /** Lowest and highest stored index; undefined when there are no entries. */
  bounds(): [first: number | undefined, last: number | undefined] {
    return [this.selectFirst.get(), this.selectLast.get()];
  }

  /**
   * Holds the connection on the file as it is now (a WAL read transaction:
   * a snapshot), until `unpin()`: a write the writer thread commits meanwhile
   * stays invisible to these statements. BEGIN alone takes no snapshot; the
   * first read does.
   */
  pin(): void {
    if (this.pinned) return;
    this.begin.run();
    this.pinned = true;
    this.touch.get();
  }

  /** Ends the snapshot: later reads see every committed write. */
  unpin(): void {
    if (!this.pinned) return;
    this.pinned = false;
    if (this.db.inTransaction) this.end.run();
  }
}
