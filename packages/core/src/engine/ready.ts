import type { Message } from "./messages.js";
import type { DroppedRead, Entry, HardState, ReadState, SoftState } from "./types.js";

/**
 * Everything the engine needs done, as one batch. The driver carries it out
 * in this order and then calls `engine.advance(ready)`:
 *
 * 1. **Persist** `hardState` (if present) and `entries` in one durable write.
 *    Appending at index i discards every persisted entry ≥ i.
 * 2. **Send** `messages`, only after step 1 is durable (a vote or an
 *    acknowledgement must never precede the state it promises).
 * 3. **Apply** `committed` entries to the state machine, in order, exactly
 *    once; resolve client proposals by (index, term).
 * 4. **Release** `readStates` once the applied index reaches their index;
 *    reject `droppedReads`.
 * 5. **Advance**: `engine.advance(ready)`. Only then may `ready()` be called again.
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
}
