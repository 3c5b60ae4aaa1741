import { RaftError, type Entry, type HardState, type Index, type LogWrite, type Term } from "@raft/core/contracts";
import { kindCode } from "./entry-codec.js";

/**
 * Where the committed log stands, kept in memory in step with the file so
 * that `firstIndex`, `lastIndex` and the terms at both ends need no query.
 * `base` is the entry before the first one held (the compaction point).
 */
export interface LogPosition {
  readonly base: Index;
  readonly baseTerm: Term;
  readonly last: Index;
  readonly lastTerm: Term;
}

/** What a `save` will do to the file, checked before any of it is written. */
export interface WritePlan {
  /** Entries at and after this index are discarded before the new ones go in; absent when there are none to discard. */
  readonly truncateFrom: Index | undefined;
  readonly next: LogPosition;
}

/**
 * Checks a write against the log as it stands and plans it, with the typed
 * errors `MemoryLog` raises: `Compacted` for an append inside the compacted
 * prefix, `Unavailable` for one that would leave a hole, `StorageFailure`
 * for a malformed batch. Nothing has been written when this throws.
 */
export function planWrite(write: LogWrite, at: LogPosition): WritePlan {
  const { reset, hardState, entries } = write;
  if (!Array.isArray(entries)) throw malformed("entries must be an array");
  if (hardState !== undefined) checkHardState(hardState);
  let position = at;
  if (reset !== undefined) {
    checkNumber("reset index", reset.index);
    checkNumber("reset term", reset.term);
    position = { base: reset.index, baseTerm: reset.term, last: reset.index, lastTerm: reset.term };
  }
  const first = entries[0];
  if (first === undefined) return { truncateFrom: undefined, next: position };
  checkBatch(entries);
  if (reset !== undefined && first.index !== reset.index + 1) throw malformed(`entries after a reset to ${reset.index} must start at ${reset.index + 1}, not ${first.index}`);
  if (first.index <= position.base) throw new RaftError("Compacted", `cannot append at ${first.index}: compacted up to ${position.base}`);
  if (first.index > position.last + 1) throw new RaftError("Unavailable", `cannot append at ${first.index}: the log ends at ${position.last} (no holes)`);
  const lastEntry = entries[entries.length - 1] as Entry;
  return {
    truncateFrom: first.index <= position.last ? first.index : undefined,
    next: { base: position.base, baseTerm: position.baseTerm, last: lastEntry.index, lastTerm: lastEntry.term },
  };
}

/** Contiguous indices, non-decreasing terms, known kinds and byte payloads: what the file can hold without holes. */
function checkBatch(entries: readonly Entry[]): void {
  let prev: Entry | undefined;
  for (const e of entries) {
    checkNumber("entry index", e.index);
    checkNumber("entry term", e.term);
    kindCode(e.kind);
    if (!(e.data instanceof Uint8Array)) throw malformed(`entry ${e.index} has no byte payload`);
    if (prev !== undefined && (e.index !== prev.index + 1 || e.term < prev.term)) {
      throw malformed(`entries must be contiguous with non-decreasing terms: ${prev.index}/${prev.term} then ${e.index}/${e.term}`);
    }
    prev = e;
  }
}

function checkHardState(hs: HardState): void {
  checkNumber("hard state term", hs.term);
  checkNumber("hard state vote", hs.vote);
  checkNumber("hard state commit", hs.commit);
}

function checkNumber(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw malformed(`${what} must be a non-negative safe integer, not ${String(value)}`);
}

function malformed(problem: string): RaftError {
  return new RaftError("StorageFailure", `malformed log write: ${problem}`);
}
