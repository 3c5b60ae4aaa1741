import { Index, RaftError, Term, type Entry } from "@raft/core/contracts";

type EntryKind = Entry["kind"];

/** The stored code of each kind. Append only: codes are in files on disk. */
const KINDS: readonly EntryKind[] = ["normal", "noop", "config"];
const CODES: ReadonlyMap<string, number> = new Map(KINDS.map((kind, code) => [kind, code]));

export function kindCode(kind: EntryKind): number {
  const code = CODES.get(kind);
  if (code === undefined) throw new RaftError("StorageFailure", `unknown entry kind ${JSON.stringify(kind)}`);
  return code;
}

/** A row of `SELECT idx, term, kind, data`, in raw (array) form. */
export type EntryRow = [idx: number, term: number, kind: number, data: Buffer];

/**
 * An entry from its row. better-sqlite3 copies every blob into a new Buffer,
 * so the entry owns its bytes; it is handed out as a plain Uint8Array view of them.
 */
export function decodeEntry(row: EntryRow, path: string): Entry {
  const [index, term, code, data] = row;
  const kind = KINDS[code];
  if (kind === undefined) throw new RaftError("Corrupt", `${path}: entry ${index} has unknown kind code ${code}`);
  return { index: Index.of(index), term: Term.of(term), kind, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
