import type Database from "better-sqlite3";
import type { BatchRow } from "./entry-batch.js";

/**
 * Rows per INSERT statement, largest first. Binding a batch through a few
 * multi-row statements instead of one call per entry roughly halves the CPU
 * cost of a large append; 256 rows × 4 parameters stays far below SQLite's
 * limit on parameters.
 */
const INSERT_SIZES = [256, 64, 16, 4, 1] as const;

/** The statements of the writer thread's connection, prepared once when it opens. */
export class WriteStatements {
  private readonly inserts: ReadonlyMap<number, Database.Statement<unknown[]>>;
  private readonly deleteFrom: Database.Statement<[number]>;
  private readonly deleteThrough: Database.Statement<[number]>;
  private readonly deleteAll: Database.Statement<[]>;
  private readonly updateBase: Database.Statement<[number, number]>;
  private readonly updateHardState: Database.Statement<[number, number, number]>;

  constructor(db: Database.Database) {
    this.inserts = new Map(INSERT_SIZES.map((n) => [n, db.prepare(`INSERT INTO entries (idx, term, kind, data) VALUES ${Array(n).fill("(?, ?, ?, ?)").join(", ")}`)]));
    this.deleteFrom = db.prepare("DELETE FROM entries WHERE idx >= ?");
    this.deleteThrough = db.prepare("DELETE FROM entries WHERE idx <= ?");
    this.deleteAll = db.prepare("DELETE FROM entries");
    this.updateBase = db.prepare("UPDATE state SET base_index = ?, base_term = ? WHERE id = 1");
    this.updateHardState = db.prepare("UPDATE state SET term = ?, vote = ?, commit_index = ? WHERE id = 1");
  }

  /** Inserts the rows; their payloads are Buffer views into the transferred batch, bound without a copy. */
  insert(rows: readonly BatchRow[]): void {
    let at = 0;
    for (const size of INSERT_SIZES) {
      const statement = this.inserts.get(size) as Database.Statement<unknown[]>;
      while (rows.length - at >= size) {
        const params = new Array<unknown>(size * 4);
        for (let k = 0; k < size; k++) {
          const row = rows[at + k] as BatchRow;
          params[4 * k] = row.index;
          params[4 * k + 1] = row.term;
          params[4 * k + 2] = row.code;
          params[4 * k + 3] = row.data;
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
