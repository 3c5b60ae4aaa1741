import { mkdirSync } from "node:fs";
import { isRaftError, RaftError, type Logger, type NodeId, type SnapshotStore } from "@raft/core/contracts";
import { RaftNode } from "@raft/core/runtime";
import { BankStateMachine, encodeBankCommand, type BankCommand, type BankResult } from "@raft/demo-bank-app";
import { httpUrlOf, type NodeConfig } from "../config/node-config.js";
import { openLog, openSnapshots, openTransport } from "./adapters.js";
import { timedLog, timedStateMachine } from "./instrumented.js";
import { NodeMetrics } from "./metrics.js";

/** How long a write or read may wait for the cluster before the client hears `Timeout` (and may retry). */
const requestTimeoutMs = 10_000;

export interface SnapshotSummary {
  index: number;
  term: number;
  sizeBytes: number;
}

/** One bank node: the adapters its config names, the bank state machine, the Raft node, its metrics. */
export class BankNode {
  private latestSnapshot: SnapshotSummary | null = null;

  private constructor(
    readonly config: NodeConfig,
    readonly raft: RaftNode<BankResult>,
    readonly bank: BankStateMachine,
    readonly metrics: NodeMetrics,
    private readonly snapshots: SnapshotStore,
  ) {}

  static async open(config: NodeConfig, logger: Logger): Promise<BankNode> {
    mkdirSync(config.dataDir, { recursive: true });
    const metrics = new NodeMetrics();
    const bank = new BankStateMachine({ dedupCapacity: config.tuning.dedupCapacity });
    const snapshots = await openSnapshots(config, logger);
    const transport = await openTransport(config, logger);
    const t = config.tuning;
    const raft = new RaftNode<BankResult>({
      id: config.id,
      voters: config.voters,
      join: config.join,
      tickMs: t.tickMs,
      electionTicks: t.electionTicks,
      snapshotEntries: t.snapshotEntries,
      keepTrailing: t.keepTrailing,
      snapshotChunkBytes: t.snapshotChunkBytes,
      proposeTimeoutMs: requestTimeoutMs,
      readTimeoutMs: requestTimeoutMs,
      snapshotMaxBytesPerSecond: t.snapshotMaxBytesPerSecond,
      snapshotInlineBytes: t.snapshotInlineBytes,
      log: timedLog(
        await openLog(config, logger),
        (s) => metrics.appendSeconds.observe(s),
        () => metrics.logSyncs.inc(),
      ),
      snapshots,
      stateMachine: timedStateMachine(bank, (s) => metrics.applySeconds.observe(s)),
      transport,
      logger,
    });
    const node = new BankNode(config, raft, bank, metrics, snapshots);
    metrics.attach({ node: raft as RaftNode<unknown>, bank, rejectedFrames: () => transport.stats().rejectedFrames });
    raft.on("snapshot", (s) => (node.latestSnapshot = { index: s.index, term: s.term, sizeBytes: s.size }));
    logEvents(raft, logger);
    return node;
  }

  async start(): Promise<void> {
    await this.raft.start();
    const latest = await this.snapshots.latest();
    if (latest !== undefined && (this.latestSnapshot === null || latest.index > this.latestSnapshot.index)) {
      this.latestSnapshot = { index: latest.index, term: latest.term, sizeBytes: latest.size };
    }
  }

  async stop(): Promise<void> {
    await this.raft.stop();
  }

  get snapshot(): SnapshotSummary | null {
    return this.latestSnapshot;
  }

  /** The HTTP URL of a member, from its Raft address in the membership or the config. */
  urlOf(id: number): string | null {
    if (id === this.config.id) return httpUrlOf(`${this.config.host}:${this.config.port}`);
    const address = this.raft.status().membership.addresses?.[String(id)] ?? this.config.peers[String(id)];
    return address === undefined ? null : httpUrlOf(address);
  }

  /** The current membership's ids (voters, learners, and outgoing voters while joint): removed nodes are not in it. */
  memberIds(): NodeId[] {
    const m = this.raft.status().membership;
    return [...new Set([...m.voters, ...m.learners, ...(m.outgoing ?? [])])].sort((a, b) => a - b);
  }

  /** Each current member's HTTP URL, by id (what clients retry across). */
  memberUrls(): Record<string, string> {
    const urls: Record<string, string> = {};
    for (const id of this.memberIds()) {
      const url = this.urlOf(id);
      if (url !== null) urls[String(id)] = url;
    }
    return urls;
  }

  /** One election timeout: how long a leadership transfer may take before the engine abandons it. */
  get electionTimeoutMs(): number {
    return this.config.tuning.electionTicks * this.config.tuning.tickMs;
  }

  /** Rejects with `NotLeader` (and the leader's id) unless this node leads: writes and linearizable reads go to the leader. */
  requireLeader(): void {
    if (this.raft.role !== "leader") throw new RaftError("NotLeader", `node ${this.config.id} is not the leader`, { leaderHint: this.raft.leader });
  }

  async execute(command: BankCommand): Promise<BankResult> {
    this.requireLeader();
    try {
      const result = await this.raft.propose(encodeBankCommand(command));
      this.metrics.proposals.inc({ outcome: result.ok ? "ok" : result.error });
      return result;
    } catch (error) {
      this.metrics.proposals.inc({ outcome: isRaftError(error) ? error.code : "Error" });
      throw error;
    }
  }

  /** A linearizable read point: resolves once this leader's state reflects every write acknowledged before the call. */
  async readBarrier(): Promise<void> {
    this.requireLeader();
    await this.raft.read();
  }
}

/** One log line per event that matters: elections, leaders, membership, snapshots, transfers, failures. */
function logEvents(raft: RaftNode<BankResult>, logger: Logger): void {
  raft.on("role", ({ role, term }) => logger.info("role changed", { role, term }));
  raft.on("leader", ({ leader, term }) => logger.info("leader changed", { leader, term }));
  raft.on("membership", ({ membership }) => logger.info("membership changed", { voters: membership.voters, learners: membership.learners }));
  raft.on("snapshot", ({ kind, index, size }) => logger.info(`snapshot ${kind}`, { index, size }));
  raft.on("transfer", (t) => logger.info("snapshot transfer finished", { peer: t.peer, direction: t.direction, source: t.source, bytes: t.bytesDone, ms: t.durationMs, ok: t.ok }));
  raft.on("error", ({ error }) => logger.error("node stopped on an error", { error: error.message }));
}
