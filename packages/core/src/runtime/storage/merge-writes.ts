import type { LogWrite } from "../../contracts/index.js";
import type { Entry } from "../../engine/index.js";

/**
 * Several consecutive writes as one, with the same effect as applying them in
 * order: a later reset or truncation discards what came before it, and the
 * last hard state wins. Entries are shared, never copied.
 */
export function mergeWrites(writes: readonly LogWrite[]): LogWrite {
  if (writes.length === 1) return writes[0] as LogWrite;
  let reset: LogWrite["reset"];
  let hardState: LogWrite["hardState"];
  let entries: Entry[] = [];
  for (const w of writes) {
    if (w.reset !== undefined) {
      reset = w.reset;
      entries = [];
    }
    if (w.hardState !== undefined) hardState = w.hardState;
    const first = w.entries[0];
    if (first === undefined) continue;
    const head = entries[0];
    // Appending at index i discards everything gathered from i on (as the store would).
    if (head !== undefined) entries.length = Math.max(0, Math.min(entries.length, first.index - head.index));
    for (const e of w.entries) entries.push(e);
  }
  return { reset, hardState, entries };
}
