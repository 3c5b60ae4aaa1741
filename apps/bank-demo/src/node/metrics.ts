import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RaftNode, FinishedTransfer } from "@raft/core/runtime";
import type { BankStateMachine } from "@raft/demo-bank-app";

const roles = ["follower", "pre-candidate", "candidate", "leader"] as const;
const latencyBuckets = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Sources the registry samples at scrape time. */
export interface MetricSources {
  node: RaftNode<unknown>;
  bank: BankStateMachine;
  rejectedFrames: () => number;
}

/** A counter that follows a monotonic value read at scrape time. */
function followingCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = Math.max(seen, now);
    },
  });
}

/** The node's Prometheus metrics (prom-client), served at GET /metrics. */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly proposals = new Counter({ name: "raft_proposals_total", help: "Proposals by outcome", labelNames: ["outcome"], registers: [this.registry] });
  readonly appendSeconds = new Histogram({
    name: "raft_log_append_seconds",
    help: "Durable log writes (one per save: group commit gathers the writes of several Readies)",
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  /** Incremented by the log wrapper per synced save (today: every save), so benchmarks can report syncs per client write. */
  readonly logSyncs = new Counter({ name: "raft_log_syncs_total", help: "Durable log writes that were synced to disk", registers: [this.registry] });
  readonly applySeconds = new Histogram({ name: "raft_apply_seconds", help: "State machine apply batches", buckets: latencyBuckets, registers: [this.registry] });
  private readonly transferSeconds = new Histogram({
    name: "raft_snapshot_transfer_seconds",
    help: "Finished snapshot transfers",
    labelNames: ["direction", "source", "ok"],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  /** Finished snapshot transfers by direction, where the bytes came from (peer, url: S3, local: already in the store) and outcome. */
  private readonly transfers = new Counter({
    name: "raft_snapshot_transfers_total",
    help: "Finished snapshot transfers by direction, source of the bytes (peer, url, local) and outcome",
    labelNames: ["direction", "source", "ok"],
    registers: [this.registry],
  });

  attach(sources: MetricSources): void {
    const { node, bank } = sources;
    const r = this.registry;
    // The process's own health, event-loop delay (nodejs_eventloop_lag_*) above all: a blocked loop serves nothing.
    collectDefaultMetrics({ register: r, eventLoopMonitoringPrecision: 10 });
    const status = () => node.status();
    new Gauge({
      name: "raft_role",
      help: "1 for this node's current role",
      labelNames: ["role"],
      registers: [r],
      collect() {
        const role = status().role;
        for (const name of roles) this.set({ role: name }, name === role ? 1 : 0);
      },
    });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(read());
        },
      });
    gauge("raft_term", "Current term", () => status().term);
    gauge("raft_commit_index", "Commit index", () => status().commit);
    gauge("raft_applied_index", "Applied index", () => status().applied);
    gauge("raft_log_first_index", "First index held in the log", () => status().firstIndex);
    gauge("raft_log_last_index", "Last index in the log", () => status().lastIndex);
    gauge("raft_snapshot_transfers_in_flight", "Snapshot streams in flight", () => status().transfers.length);
    gauge("bank_accounts", "Accounts", () => bank.accountCount());
    gauge("bank_total_minor_units", "Sum of all balances", () => bank.total());
    followingCounter(r, "raft_snapshot_bytes_sent_total", "Snapshot bytes served to peers", () => status().snapshots.bytesSent);
    followingCounter(r, "raft_snapshot_bytes_received_total", "Snapshot bytes received, from the leader or read from the snapshot's location (S3)", () => status().snapshots.bytesReceived);
    followingCounter(r, "raft_snapshot_url_bytes_received_total", "Snapshot bytes read straight from the snapshot's location (S3), not from the leader", () => status().snapshots.urlBytesReceived);
    followingCounter(r, "raft_snapshot_url_fallbacks_total", "Installs that fell back from the snapshot's location to the leader", () => status().snapshots.urlFallbacks);
    followingCounter(r, "raft_snapshot_checksum_failures_total", "Received snapshots that failed verification", () => status().snapshots.checksumFailures);
    followingCounter(r, "raft_snapshots_taken_total", "Snapshots taken here", () => status().snapshots.taken);
    followingCounter(r, "raft_snapshots_installed_total", "Snapshots installed from the leader", () => status().snapshots.installed);
    followingCounter(r, "raft_catch_up_entries_total", "Older log entries handed out from what was read ahead for lagging followers", () => status().catchUp.entries);
    followingCounter(r, "raft_catch_up_bytes_total", "Their bytes as catch-up pacing counts them (payload + 32 per entry)", () => status().catchUp.bytes);
    followingCounter(r, "raft_catch_up_paced_seconds_total", "Time catch-up pacing held entries read ahead for lagging followers back", () => status().catchUp.pacedMs / 1000);
    followingCounter(r, "raft_transport_rejected_frames_total", "Incoming frames rejected by the transport", sources.rejectedFrames);
    node.on("transfer", (t: FinishedTransfer) => {
      const labels = { direction: t.direction, source: t.source, ok: String(t.ok) };
      this.transferSeconds.observe(labels, t.durationMs / 1000);
      this.transfers.inc(labels);
    });
  }
}
