import type { Command, StateMachine } from "../contracts/index.js";
import { Index, RaftError, type Entry, type SnapshotMeta } from "../engine/index.js";
import type { Emitter, RaftNodeEvents } from "./events.js";
import type { PendingProposals, PendingReads } from "./pending.js";

/**
 * Applies committed entries to the state machine, in order, exactly once,
 * and settles what waited for them: proposals by (index, term), reads by
 * index. Tracks the applied index, which a restored snapshot also moves.
 */
export class Applier<Result> {
  /** The last index the state machine reflects. */
  applied = Index.zero;

  constructor(
    private readonly d: {
      readonly stateMachine: StateMachine<Result>;
      readonly proposals: PendingProposals<Result>;
      readonly reads: PendingReads;
      readonly events: Emitter<RaftNodeEvents>;
      /** Bytes of entries applied (the snapshot policy counts them). */
      readonly onApplied: (bytes: number) => void;
    },
  ) {}

  async apply(committed: readonly Entry[]): Promise<void> {
    // Entries are Commands already; copy the list only when no-ops or config entries must be left out.
    const commands: readonly Command[] = committed.every((e) => e.kind === "normal") ? committed : committed.filter((e) => e.kind === "normal");
    const results = commands.length > 0 ? await this.d.stateMachine.apply(commands) : [];
    if (results.length !== commands.length) {
      throw new RaftError("Corrupt", `the state machine returned ${results.length} results for ${commands.length} commands`);
    }
    let c = 0;
    let bytes = 0;
    for (const e of committed) {
      this.d.proposals.settle(e.index, e.term, e.kind === "normal" ? results[c++] : undefined, e.kind);
      bytes += e.data.length;
    }
    this.applied = (committed[committed.length - 1] as Entry).index;
    this.d.reads.appliedTo(this.applied);
    this.d.onApplied(bytes);
    this.d.events.emit("apply", { index: this.applied });
  }

  /** The state machine was restored from `meta`: true if that moved it past what was applied. */
  restored(meta: SnapshotMeta): boolean {
    if (meta.index <= this.applied) return false;
    this.applied = meta.index;
    this.d.proposals.coveredBySnapshot(meta.index, meta.term);
    this.d.reads.appliedTo(this.applied);
    return true;
  }
}
