import type { NodeId } from "../engine/index.js";

/** Learned addresses kept at most; the oldest go first. */
const MAX_LEARNED = 1024;

/**
 * For transports that dial: where each peer can be reached, from three
 * sources in order of precedence: membership (`Transport.updatePeers`: each
 * call adds or overrides addresses, none is forgotten), the configured peers,
 * and addresses learned from accepted callers (their advertised address) —
 * the last only for nodes neither of the others knows (a node that just
 * joined knows nobody until the leader calls it).
 *
 * A dial override (`dialVia`, from the transports' option of that name) wins
 * over all three: the peer is dialed there whatever its address, e.g. through
 * a proxy or a tunnel in front of it. It changes where this node dials only:
 * what a peer is known as, who may call in and what is checked are as before.
 */
export class PeerAddresses {
  private readonly membership = new Map<NodeId, string>();
  private readonly learned = new Map<NodeId, string>();

  constructor(
    private readonly configured: ReadonlyMap<NodeId, string>,
    private readonly dialVia: ReadonlyMap<NodeId, string> = new Map(),
  ) {}

  /** Where to dial `id`: its dial override, else its membership, configured or learned address. */
  get(id: NodeId): string | undefined {
    return this.dialVia.get(id) ?? this.membership.get(id) ?? this.configured.get(id) ?? this.learned.get(id);
  }

  /** Configured or a member with an address: may call this node when unknown callers are refused. */
  isKnown(id: NodeId): boolean {
    return this.membership.has(id) || this.configured.has(id);
  }

  /** Adds or overrides membership addresses (already checked: `usableAddresses`); returns the ids whose address to dial changed. */
  update(book: ReadonlyMap<NodeId, string>): NodeId[] {
    const changed: NodeId[] = [];
    for (const [id, address] of book) {
      const before = this.get(id);
      this.membership.set(id, address);
      this.learned.delete(id);
      if (before !== this.get(id)) changed.push(id);
    }
    return changed;
  }

  /** Remembers where an accepted caller listens; true if that changed the address to dial. */
  learn(id: NodeId, address: string): boolean {
    if (this.membership.has(id) || this.configured.has(id) || this.learned.get(id) === address) return false;
    this.learned.delete(id);
    this.learned.set(id, address);
    if (this.learned.size > MAX_LEARNED) this.learned.delete(this.learned.keys().next().value as NodeId);
    return !this.dialVia.has(id);
  }
}
