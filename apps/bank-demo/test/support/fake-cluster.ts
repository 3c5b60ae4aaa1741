import type { ClusterMemberView, ClusterView, StatusView } from "../../src/http/views.js";

interface FakeNode {
  readonly url: string;
  down: string | null;
  status: StatusView;
}

/** A snapshot is taken every this many entries, so the log bounds move too. */
const snapshotEvery = 100;
const bytesPerEntry = 96;

/**
 * A scripted stand-in for a running cluster: the test moves it from state to
 * state (commits, a node down, a transfer, a new leader) and the fake server
 * serves its current picture as GET /cluster. Nodes that are down freeze; when
 * they come back they are as far behind as the cluster went without them.
 */
export class FakeCluster {
  private readonly nodes = new Map<number, FakeNode>();
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    readonly clusterId: string,
    ids: readonly number[],
    leaderId: number,
    term: number,
    commitIndex: number,
  ) {
    for (const id of ids) {
      const url = `http://127.0.0.1:${8000 + id}`;
      const status: StatusView = {
        id,
        role: "follower",
        term,
        leaderId: null,
        leaderUrl: null,
        commitIndex,
        appliedIndex: commitIndex,
        log: { firstIndex: 1, lastIndex: commitIndex },
        snapshot: null,
        members: { voters: [...ids], learners: [] },
        memberUrls: Object.fromEntries(ids.map((peer) => [String(peer), `http://127.0.0.1:${8000 + peer}`])),
        snapshotTransfers: [],
      };
      this.nodes.set(id, { url, down: null, status });
      this.compact(status);
    }
    this.elect(leaderId, term);
  }

  view(self: number): ClusterView {
    const nodes = [...this.nodes.entries()].map(([id, n]): ClusterMemberView =>
      n.down === null ? { id, url: n.url, ok: true, status: structuredClone(n.status) } : { id, url: n.url, ok: false, error: n.down },
    );
    return { clusterId: this.clusterId, self, nodes };
  }

  /** Commits `entries` more entries on every node that is up. */
  commit(entries: number): void {
    for (const { down, status } of this.nodes.values()) {
      if (down !== null) continue;
      status.commitIndex += entries;
      status.appliedIndex = status.commitIndex;
      status.log.lastIndex = status.commitIndex;
      this.compact(status);
    }
  }

  /** Commits on a timer, as a cluster under steady load would. Returns the stop function. */
  commitEvery(intervalMs: number, entries: number): () => void {
    this.stopCommitting();
    this.ticker = setInterval(() => this.commit(entries), intervalMs);
    return () => this.stopCommitting();
  }

  stopCommitting(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  takeDown(id: number, error: string): void {
    this.node(id).down = error;
  }

  bringUp(id: number): void {
    this.node(id).down = null;
  }

  elect(leaderId: number, term: number): void {
    const leaderUrl = this.node(leaderId).url;
    for (const { down, status } of this.nodes.values()) {
      if (down !== null) continue;
      status.term = term;
      status.role = status.id === leaderId ? "leader" : "follower";
      status.leaderId = leaderId;
      status.leaderUrl = leaderUrl;
    }
  }

  /** Shows a snapshot stream from `from` to `to` at both ends, as real nodes report it. */
  transferSnapshot(from: number, to: number, bytesDone: number, bytesTotal: number): void {
    this.node(from).status.snapshotTransfers = [{ peer: to, direction: "send", bytesDone, bytesTotal }];
    this.node(to).status.snapshotTransfers = [{ peer: from, direction: "receive", bytesDone, bytesTotal }];
  }

  /** Ends every transfer; the receivers have installed the sender's snapshot and caught up. */
  finishTransfers(): void {
    const newest = Math.max(...[...this.nodes.values()].map((n) => n.status.commitIndex));
    for (const { status } of this.nodes.values()) {
      if (status.snapshotTransfers.some((t) => t.direction === "receive")) {
        status.commitIndex = newest;
        status.appliedIndex = newest;
        status.log.lastIndex = newest;
        this.compact(status);
      }
      status.snapshotTransfers = [];
    }
  }

  private compact(status: StatusView): void {
    const index = Math.floor(status.commitIndex / snapshotEvery) * snapshotEvery;
    if (index === 0 || status.snapshot?.index === index) return;
    status.snapshot = { index, term: status.term, sizeBytes: index * bytesPerEntry };
    status.log.firstIndex = index + 1;
  }

  private node(id: number): FakeNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`the fake cluster has no node ${id}`);
    return node;
  }
}
