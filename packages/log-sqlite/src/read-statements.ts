import type Database from "better-sqlite3";
import type { Entry } from "@raft/core/contracts";
import { kindCode, type EntryRow } from "./entry-codec.js";

/**
 * Rows per INSERT statement, largest first. Binding a batch through a few
 * multi-row statements instead of one call per entry roughly halves the CPU
 * cost of a large append; 256 rows × 4 parameters stays far below SQLite's
 * limit on parameters.
 */
const INSERT_SIZES = [256, 64, 16, 4, 1] as const;

export interface StoredState {
  readonly base_index: number;
  readonly base_term: number;
  readonly term: number;
  readonly vote: number;
  readonly commit_index: number;
}

/** Every statement the store runs, prepared once when it opens. */
export class Statements {
  private readonly inserts: ReadonlyMap<number, Database.Statement<unknown[]>>;
  private readonly selectTerm: Database.Statement<[number], number>;
  private readonly selectRange: Database.Statement<[number, number], EntryRow>;
  private readonly deleteFrom: Database.Statement<[number]>;
  private readonly deleteThrough: Database.Statement<[number]>;
  private readonly deleteAll: Database.Statement<[]>;
  private readonly updateBase: Database.Statement<[number, number]>;
  private readonly updateHardState: Database.Statement<[number, number, number]>;
  private readonly selectState: Database.Statement<[], StoredState>;
  private readonly selectFirst: Database.Statement<[], number>;
  private readonly selectLast: Database.Statement<[], number>;

  constructor(db: Database.Database) {
    this.inserts = new Map(INSERT_SIZES.map((n) => [n, db.prepare(`INSERT INTO entries (idx, term, kind, data) VALUES ${Array(n).fill("(?, ?, ?, ?)").join(", ")}`)]));
    this.selectTerm = db.prepare<[number], number>("SELECT term FROM entries WHERE idx = ?").pluck();
    this.selectRange = db.prepare<[number, number], EntryRow>("SELECT idx, term, kind, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx").raw();
    this.deleteFrom = db.prepare("DELETE FROM entries WHERE idx >= ?");
    this.deleteThrough = db.prepare("DELETE FROM entries WHERE idx <= ?");
    this.deleteAll = db.prepare("DELETE FROM entries");
    this.updateBase = db.prepare("UPDATE state SET base_index = ?, base_term = ? WHERE id = 1");
    this.updateHardState = db.prepare("UPDATE state SET term = ?, vote = ?, commit_index = ? WHERE id = 1");
    this.selectState = db.prepare<[], StoredState>("SELECT base_index, base_term, term, vote, commit_index FROM state");
    // Two queries: min() and max() in one would scan the table instead of reading both ends of the b-tree.
    this.selectFirst = db.prepare<[], number>("SELECT idx FROM entries ORDER BY idx LIMIT 1").pluck();
    this.selectLast = db.prepare<[], number>("SELECT idx FROM entries ORDER BY idx DESC LIMIT 1").pluck();
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

  insert(entries: readonly Entry[]): void {
    let at = 0;
    for (const size of INSERT_SIZES) {
      const statement = this.inserts.get(size) as Database.Statement<unknown[]>;
      while (entries.length - at >= size) {
        const params = new Array<unknown>(size * 4);
        for (let k = 0; k < size; k++) {
          const e = entries[at + k] as Entry;
          params[4 * k] = e.index;
          params[4 * k + 1] = e.term;
          params[4 * k + 2] = kindCode(e.kind);
          params[4 * k + 3] = asBuffer(e.data);
        }
        statement.run(params);
        at += size;
      }
    }
  }

  /** Discards entries at and after `index`. */
  truncateFrom(index: number): void {
    this.deleteFrom.run(index);
  }

  /** Discards entries at and before `index`. */
  discardThrough(index: number): void {
    this.deleteThrough.run(index);
  }

  discardAll(): void {
    this.deleteAll.run();
  }

  setBase(index: number, term: number): void {
    this.updateBase.run(index, term);
  }

  setHardState(term: number, vote: number, commit: number): void {
    this.updateHardState.run(term, vote, commit);
  }
}

/**
 * better-sqlite3 binds a Buffer directly but takes a slower path for other
 * typed arrays; a Buffer view over the same bytes (no copy) gets the fast one.
 */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
