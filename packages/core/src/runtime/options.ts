import { z } from "zod";
import type { Clock, Logger, LogStore, SnapshotStore, StateMachine, Transport } from "../contracts/index.js";
import { nodeIdSchema, parseOptions } from "../contracts/index.js";
import { engineDefaults, type EngineOptions } from "../engine/index.js";
import type { SnapshotSettings } from "./snapshots/snapshot-manager.js";

const e = engineDefaults;
const int = (min: number) => z.number().int().min(min);

/**
 * The engine's options as a node takes them: the defaults are the engine's
 * own (`engineDefaults`), never restated here.
 */
const engineOptionsShape = {
  electionTicks: int(2).default(e.electionTicks).describe("election timeout in ticks, drawn from [n, 2n)"),
  heartbeatTicks: int(1).default(e.heartbeatTicks).describe("heartbeat interval in ticks (less than electionTicks)"),
  preVote: z.boolean().default(e.preVote).describe("a pre-vote round before a real election, so a returning node cannot disrupt the cluster"),
  checkQuorum: z.boolean().default(e.checkQuorum).describe("leaders step down without a live quorum; followers honour the leader's lease"),
  leaseRead: z.boolean().default(e.leaseRead).describe("serve reads from the leader lease (needs checkQuorum and clocks that advance at similar rates)"),
  maxInflight: int(1).default(e.maxInflight).describe("append messages in flight per follower"),
  maxInflightBytes: int(1).default(e.maxInflightBytes).describe("entry bytes in flight per follower"),
  logCacheBytes: int(0).default(e.logCacheBytes).describe("the most recent durable entries kept in memory for applying and replication"),
  maxCatchUpReadBytes: int(1).default(e.maxCatchUpReadBytes).describe("storage bytes read per turn for lagging followers"),
  maxCatchUpReadEntries: int(1).default(e.maxCatchUpReadEntries).describe("storage entries read per turn for lagging followers (each is a row read, whatever its size)"),
  maxMsgEntries: int(1).default(e.maxMsgEntries).describe("entries in one append message"),
  maxMsgBytes: int(1).default(e.maxMsgBytes).describe("about the entry bytes in one append message"),
  maxApplyBytes: int(1).default(e.maxApplyBytes).describe("about the entry bytes handed to the state machine at once"),
  maxUncommittedBytes: int(1).default(e.maxUncommittedBytes).describe("proposals are refused beyond this backlog of uncommitted bytes"),
  keepTrailing: int(0).default(e.keepTrailing).describe("entries kept before a snapshot's index when the log is compacted"),
} satisfies Partial<Record<keyof EngineOptions, z.ZodType>>;

/** The plain-data part of a node's configuration, validated at startup (`RaftNodeOptions` adds the ports). */
export const raftNodeConfigSchema = z
  .object({
    id: nodeIdSchema.describe("this node (a positive integer)"),
    voters: z.array(nodeIdSchema).min(1).readonly().describe("the initial cluster, including id (unless the node joins)"),
    join: z.boolean().default(false).describe("this node joins a running cluster: it is not in voters and waits to be added as a learner"),
    promoteMaxLag: int(0).default(1000).describe("a learner is promoted only within this many entries of the leader's log"),
    tickMs: int(1).default(50).describe("milliseconds per engine tick"),
    ...engineOptionsShape,
    maxWriteEntries: int(1).default(16_384).describe("group commit: the most entries one durable write gathers"),
    maxWriteBytes: int(1)
      .default(16 << 20)
      .describe("group commit: about the most bytes one durable write gathers"),
    proposeTimeoutMs: int(0).default(10_000).describe("a proposal not applied in time fails with Timeout, its outcome unknown (0: no limit)"),
    readTimeoutMs: int(1).optional().describe("a read not confirmed in time fails with Timeout (default: two election timeouts)"),
    seed: z.number().int().optional().describe("election-jitter seed (set it to replay a run; default random)"),
    snapshotEntries: int(0).default(10_000).describe("take a snapshot after this many entries applied since the last one (0: off)"),
    snapshotLogBytes: int(0)
      .default(64 << 20)
      .describe("… or after this many bytes of entries applied (0: off)"),
    keepSnapshots: int(1).default(2).describe("snapshots retained (the newest is never removed, nor one being sent)"),
    snapshotChunkBytes: int(1)
      .max(64 << 20)
      .default(1 << 20)
      .describe("bytes per chunk of a snapshot transfer"),
    snapshotInlineBytes: int(0)
      .max(16 << 20)
      .default(64 << 10)
      .describe("snapshots up to this size travel inside InstallSnapshot (0: never)"),
    catchUpMaxBytesPerSecond: int(0)
      .default(8 << 20)
      .describe("entry bytes per second read from the log for followers behind the in-memory tail, all together (0: unlimited)"),
    snapshotMaxBytesPerSecond: int(0).default(0).describe("outgoing snapshot bytes per second, all transfers together (0: unlimited)"),
    snapshotMaxConcurrentSends: int(1).default(4).describe("snapshot transfers served at once; more are refused with Busy and retried"),
    snapshotProgressTimeoutMs: int(1).default(10_000).describe("a transfer with no bytes for this long is cut and resumed"),
    snapshotMaxAttempts: int(0).default(5).describe("broken streams in a row, or checksum failures, before an install gives up (the leader offers again later)"),
    slowTurnWarnMs: int(1).default(200).describe("a step of the loop that holds the event loop longer is logged as a warning naming what it did"),
    verifySnapshotOnStart: z.boolean().default(true).describe("re-check the latest snapshot's checksums before restoring it at startup"),
  })
  .refine((c) => c.join !== c.voters.includes(c.id), { message: "voters must include id, unless the node joins (then it must not)" })
  .refine((c) => c.heartbeatTicks < c.electionTicks, { message: "heartbeatTicks must be less than electionTicks" })
  .refine((c) => !c.leaseRead || c.checkQuorum, { message: "leaseRead requires checkQuorum" });

export type RaftNodeConfig = z.input<typeof raftNodeConfigSchema>;
export type ResolvedRaftNodeConfig = z.output<typeof raftNodeConfigSchema>;

/** Everything a node needs: its configuration and the ports it drives. */
export interface RaftNodeOptions<Result> extends RaftNodeConfig {
  log: LogStore;
  snapshots: SnapshotStore;
  stateMachine: StateMachine<Result>;
  transport: Transport;
  clock?: Clock;
  logger?: Logger;
}

/** The engine's part of a node's configuration. */
export function engineOptions(c: ResolvedRaftNodeConfig): EngineOptions {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(engineOptionsShape)) out[key] = c[key as keyof typeof engineOptionsShape];
  return out as EngineOptions;
}

/** The snapshot part of a node's configuration, as the snapshot manager takes it. */
export function snapshotSettings(c: ResolvedRaftNodeConfig): SnapshotSettings {
  return {
    snapshotEntries: c.snapshotEntries,
    snapshotLogBytes: c.snapshotLogBytes,
    keepSnapshots: c.keepSnapshots,
    chunkBytes: c.snapshotChunkBytes,
    inlineBytes: c.snapshotInlineBytes,
    maxBytesPerSecond: c.snapshotMaxBytesPerSecond,
    maxConcurrentSends: c.snapshotMaxConcurrentSends,
    progressTimeoutMs: c.snapshotProgressTimeoutMs,
    maxAttempts: c.snapshotMaxAttempts,
  };
}

export function parseNodeConfig(config: RaftNodeConfig): ResolvedRaftNodeConfig {
  return parseOptions(raftNodeConfigSchema, config, "node config");
}
