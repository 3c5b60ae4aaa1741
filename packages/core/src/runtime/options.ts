import { z } from "zod";
import type { Clock, Logger, LogStore, SnapshotStore, StateMachine, Transport } from "../contracts/index.js";
import { nodeIdSchema } from "../contracts/index.js";
import { engineDefaults, RaftError, type EngineOptions } from "../engine/index.js";
import type { SnapshotSettings } from "./snapshots/snapshot-manager.js";

const e = engineDefaults;

/**
 * The engine's options as a node takes them: the defaults are the engine's
 * own (`engineDefaults`), never restated here.
 */
const engineOptionsShape = {
  electionTicks: z.number().int().min(2).default(e.electionTicks),
  heartbeatTicks: z.number().int().min(1).default(e.heartbeatTicks),
  preVote: z.boolean().default(e.preVote),
  checkQuorum: z.boolean().default(e.checkQuorum),
  leaseRead: z.boolean().default(e.leaseRead),
  maxInflight: z.number().int().min(1).default(e.maxInflight),
  maxInflightBytes: z.number().int().min(1).default(e.maxInflightBytes),
  logCacheBytes: z.number().int().min(0).default(e.logCacheBytes),
  maxCatchUpReadBytes: z.number().int().min(1).default(e.maxCatchUpReadBytes),
  maxMsgEntries: z.number().int().min(1).default(e.maxMsgEntries),
  maxMsgBytes: z.number().int().min(1).default(e.maxMsgBytes),
  maxApplyBytes: z.number().int().min(1).default(e.maxApplyBytes),
  maxUncommittedBytes: z.number().int().min(1).default(e.maxUncommittedBytes),
  /** Entries kept before a snapshot's index when the log is compacted. */
  keepTrailing: z.number().int().min(0).default(e.keepTrailing),
} satisfies Partial<Record<keyof EngineOptions, z.ZodType>>;

/** The plain-data part of a node's configuration, validated at startup. */
export const raftNodeConfigSchema = z
  .object({
    id: nodeIdSchema,
    /** Voters of the initial cluster, this node included (unless it joins). */
    voters: z.array(nodeIdSchema).min(1).readonly(),
    /** This node joins a running cluster: it is not in `voters` and waits to be added as a learner. */
    join: z.boolean().default(false),
    /** A learner is promoted only once it is within this many entries of the leader's log. */
    promoteMaxLag: z.number().int().min(0).default(1000),
    /** Milliseconds per engine tick. */
    tickMs: z.number().int().min(1).default(50),
    ...engineOptionsShape,
    /** Group commit: the most entries, and about the most bytes, one durable write gathers from the Readies queued behind the write in flight. */
    maxWriteEntries: z.number().int().min(1).default(16_384),
    maxWriteBytes: z.number().int().min(1).default(16 << 20),
    /** A proposal not applied within this many ms fails with `Timeout` (its outcome unknown); 0: wait as long as it takes. */
    proposeTimeoutMs: z.number().int().min(0).default(10_000),
    /** A read not answered within this many ms fails with `Timeout`; default two election timeouts. */
    readTimeoutMs: z.number().int().min(1).optional(),
    /** Seed of the election jitter; defaults to a random one. */
    seed: z.number().int().optional(),
    /** Take a snapshot after this many entries were applied since the last one; 0 turns it off. */
    snapshotEntries: z.number().int().min(0).default(10_000),
    /** … or after this many bytes of entries were applied since the last one; 0 turns it off. */
    snapshotLogBytes: z.number().int().min(0).default(64 << 20),
    /** Snapshots retained (the newest is never removed, nor one being sent). */
    keepSnapshots: z.number().int().min(1).default(2),
    /** Bytes per chunk of a snapshot transfer. */
    snapshotChunkBytes: z.number().int().min(1).max(64 << 20).default(1 << 20),
    /** Snapshots up to this size travel inside InstallSnapshot; 0 turns it off. */
    snapshotInlineBytes: z.number().int().min(0).max(16 << 20).default(64 << 10),
    /** Outgoing snapshot bytes per second, all transfers together; 0 is unlimited. */
    snapshotMaxBytesPerSecond: z.number().int().min(0).default(0),
    /** Snapshot transfers this node serves at once; more are refused with Busy and retried. */
    snapshotMaxConcurrentSends: z.number().int().min(1).default(4),
    /** A transfer with no bytes for this long is cut and resumed. */
    snapshotProgressTimeoutMs: z.number().int().min(1).default(10_000),
    /** Broken streams in a row, or checksum failures, tolerated before an install gives up. */
    snapshotMaxAttempts: z.number().int().min(0).default(5),
    /** A step of the node's loop that holds the event loop longer than this is logged as a warning, naming what it did. */
    slowTurnWarnMs: z.number().int().min(1).default(200),
    /** Re-check the latest snapshot's checksums before restoring it at startup. */
    verifySnapshotOnStart: z.boolean().default(true),
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
  const result = raftNodeConfigSchema.safeParse(config);
  if (!result.success) {
    throw new RaftError("InvalidConfig", `invalid node config: ${z.prettifyError(result.error).replace(/\n/g, "; ")}`);
  }
  return result.data;
}
