import type { Message } from "./messages.js";
import type { DroppedRead, Entry, HardState, Index, ReadState, SnapshotToInstall, SoftState, Term } from "./types.js";

/**
 * Everything the engine needs done, as one batch. The driver carries it out
 * in this order and then calls `engine.advance(ready)`:
 *
 * 1. **Persist** `logReset` (if present), `hardState` (if present) and
 *    `entries` in one durable write. A reset discards the whole log and
 *    restarts it after a snapshot's (index, term); appending at index i
 *    discards every persisted entry ≥ i. Then, if `compactTo` is set, discard
 *    entries ≤ it (a snapshot covers them).
 * 2. **Send** `messages`, only after step 1 is durable (a vote or an
 *    acknowledgement must never precede the state it promises).
 * 3. **Apply** `committed` entries to the state machine, in order, exactly
 *    once; resolve client proposals by (index, term).
 * 4. **Release** `readStates` once the applied index reaches their index;
 *    reject `droppedReads`.
 * 5. **Advance**: `engine.advance(ready)`. Only then may `ready()` be called again.
 *
 * `installSnapshot`, when present, starts an out-of-band job: fetch, verify and
 * restore that snapshot, then call `snapshotInstalled(meta)` (or
 * `snapshotFailed(meta)`). Committed entries are withheld meanwhile, so the
 * state machine is never applied to while it is being restored.
 *
 * `softState` is informational (role and leader changes) and may be reported at any time.
 * Inputs (`tick`, `step`, `propose`, …) may continue while a Ready is being carried out.
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committed: readonly Entry[];
  readonly readStates: readonly ReadState[];
  readonly droppedReads: readonly DroppedRead[];
  readonly logReset: { readonly index: Index; readonly term: Term } | undefined;
  readonly compactTo: Index | undefined;
  readonly installSnapshot: SnapshotToInstall | undefined;
}
