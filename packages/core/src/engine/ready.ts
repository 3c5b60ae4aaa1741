import type { Message } from "./messages.js";
import type { DroppedRead, Entry, HardState, Index, ReadState, SnapshotToInstall, SoftState, Term } from "./types.js";

/** A log position: the entry at `index` has `term`. */
export interface LogPosition {
  readonly index: Index;
  readonly term: Term;
}

/**
 * One durable write, as `LogStore.save` takes it: a reset (if present), the
 * hard state (if present) and entries, atomically. Only term, vote and entries
 * need durability (etcd's `MustSync`): a change of the commit index alone
 * makes no write; the next write carries the latest commit index.
 */
export interface StorageWrite {
  /** Discard the whole log and restart it after this position (an installed snapshot's). */
  readonly reset: LogPosition | undefined;
  readonly hardState: HardState | undefined;
  /** Appending at index i discards every stored entry ≥ i. */
  readonly entries: readonly Entry[];
  /** Acknowledge with `engine.persisted(durableTo)` once this write and every earlier one are durable. */
  readonly durableTo: LogPosition;
}

/**
 * Everything the engine needs done, as one batch. The driver carries it out
 * in this order and then calls `engine.advance(ready)`:
 *
 * 1. **Write** `write`, if present, durably. Writes must become durable in
 *    the order they were handed out, and more than one may be in flight: the
 *    driver may gather several into one storage call (group commit). Once a
 *    write is durable, call `engine.persisted(write.durableTo)`. If `compactTo`
 *    is set, discard entries ≤ it (a snapshot covers them; they are durable
 *    already), ordered with the writes.
 * 2. **Send** `messages` now: they promise nothing about local storage (the
 *    leader's appends go out while its own write is in flight, Raft thesis
 *    §10.2.1; the leader counts itself toward a commit only once `persisted`).
 *    Send `messagesAfterWrite` only once every write handed out so far
 *    (this Ready's included) is durable: votes and acknowledgements must never
 *    precede the state they promise. Those addressed to this node itself (a
 *    candidate's own vote) go back in through `step()`.
 * 3. **Apply** `committed` entries to the state machine, in order, exactly
 *    once, while writes may still be in flight (they are committed on a
 *    quorum already); resolve client proposals by (index, term).
 * 4. **Release** `readStates` once the applied index reaches their index;
 *    reject `droppedReads`.
 * 5. **Advance**: `engine.advance(ready)`. Only then may `ready()` be called
 *    again; the writes it handed out need not be durable yet.
 *
 * `installSnapshot`, when present, starts an out-of-band job: fetch, verify and
 * restore that snapshot, then call `snapshotInstalled(meta)` (or
 * `snapshotFailed(meta)`). Committed entries are withheld meanwhile, so the
 * state machine is never applied to while it is being restored.
 *
 * `softState` is informational (role and leader changes) and may be reported at any time.
 * Inputs (`tick`, `step`, `propose`, `persisted`, …) may continue while a Ready is being carried out.
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly write: StorageWrite | undefined;
  readonly messages: readonly Message[];
  readonly messagesAfterWrite: readonly Message[];
  readonly committed: readonly Entry[];
  readonly readStates: readonly ReadState[];
  readonly droppedReads: readonly DroppedRead[];
  readonly compactTo: Index | undefined;
  readonly installSnapshot: SnapshotToInstall | undefined;
}
