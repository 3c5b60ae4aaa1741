import type { Index, Membership, NodeId, Role, Term } from "../engine/index.js";
import type { FinishedTransfer } from "./snapshots/transfer-tracker.js";

/** What a node reports as it runs. */
export interface RaftNodeEvents {
  /** This node's role changed. */
  role: { role: Role; term: Term };
  /** The leader this node knows changed (0: none known). */
  leader: { leader: NodeId | 0; term: Term };
  /** The commit index advanced. */
  commit: { index: Index };
  /** Entries up to `index` were applied to the state machine. */
  apply: { index: Index };
  /** The configuration this node acts on changed (a config entry or snapshot was applied). */
  membership: { membership: Membership };
  /** A snapshot was taken here, or installed from the leader. */
  snapshot: { kind: "taken" | "installed"; index: Index; term: Term; id: string; size: number };
  /** A snapshot stream to or from a peer finished (`ok`) or was abandoned. */
  transfer: FinishedTransfer;
  /** The node stopped because of an unrecoverable error (storage failure, corruption). */
  error: { error: Error };
}

type Listener<T> = (event: T) => void;

/** A minimal typed event emitter; a throwing listener cannot break the node. */
export class Emitter<Events> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof Events>(name: K, event: Events[K]): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    for (const l of set) {
      try {
        (l as Listener<Events[K]>)(event);
      } catch {
        // Listeners are observers; their failures must not change the node's behaviour.
      }
    }
  }
}
