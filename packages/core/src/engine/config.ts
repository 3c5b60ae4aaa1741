import { RaftError } from "./errors.js";
import type { LogReader } from "./log-reader.js";
import type { HardState, Index, NodeId, SnapshotMeta } from "./types.js";

/** Tunables of the engine. Time is counted in ticks; the driver decides how long a tick lasts. */
export interface EngineOptions {
  /** Ticks without hearing from a leader before a follower campaigns; the actual timeout is drawn from [electionTicks, 2·electionTicks). Default 10. */
  electionTicks?: number;
  /** Ticks between leader heartbeats; must be less than electionTicks. Default 1. */
  heartbeatTicks?: number;
  /** Run a pre-vote round before incrementing the term, so a partitioned node cannot disrupt the cluster on return. Default true. */
  preVote?: boolean;
  /** A leader that has not heard from a quorum within an election timeout steps down; followers ignore votes while their leader's lease holds. Default true. */
  checkQuorum?: boolean;
  /** Serve reads from the leader's lease instead of a heartbeat round. Relies on checkQuorum and on bounded clock drift. Default false. */
  leaseRead?: boolean;
  /** Append messages in flight per follower. Default 256. */
  maxInflight?: number;
  /** About the most entry bytes in flight per follower. Default 16 MiB. */
  maxInflightBytes?: number;
  /** Bytes of the most recent durable entries kept in memory, shared by applying and every follower. Default 16 MiB. */
  logCacheBytes?: number;
  /** The most bytes read from storage per turn (per Ready) to catch lagging followers up, so catch-up never holds the loop for long. Default 1 MiB. */
  maxCatchUpReadBytes?: number;
  /** The most entries read from storage per turn for lagging followers: each costs a row read whatever its size. Default 1024. */
  maxCatchUpReadEntries?: number;
  /** Most entries in one append message. Default 4096. */
  maxMsgEntries?: number;
  /** About the most entry bytes in one append message. Default 1 MiB. */
  maxMsgBytes?: number;
  /** About the most entry bytes handed out for applying in one Ready. Default 16 MiB. */
  maxApplyBytes?: number;
  /** Proposals are refused while this many bytes are appended but not committed. Default 64 MiB. */
  maxUncommittedBytes?: number;
  /** Entries kept before a snapshot's index when the log is compacted, sparing slightly lagging followers a snapshot. Default 1024. */
  keepTrailing?: number;
  /** Ticks a leader waits for a follower to report a snapshot install before offering it again (a lost message). Default 4 × electionTicks. */
  snapshotRetryTicks?: number;
}

export interface EngineConfig extends EngineOptions {
  /** This node. */
  id: NodeId;
  /** The voters of the cluster when the log holds no configuration. */
  voters: readonly NodeId[];
  /** The durable log. */
  log: LogReader;
  /** Hard state loaded from storage; zeros for a new node. */
  hardState?: HardState;
  /** Index the state machine already reflects (after restoring a snapshot). */
  applied?: Index;
  /** The newest local snapshot, restored at startup. */
  snapshot?: SnapshotMeta;
  /** Seed of the election-jitter PRNG. */
  seed: number;
}

export type ResolvedEngineConfig = Required<EngineOptions> & Omit<EngineConfig, keyof EngineOptions>;

export const engineDefaults: Required<EngineOptions> = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  leaseRead: false,
  maxInflight: 256,
  maxInflightBytes: 16 << 20,
  logCacheBytes: 16 << 20,
  maxCatchUpReadBytes: 1 << 20,
  maxCatchUpReadEntries: 1024,
  maxMsgEntries: 4096,
  maxMsgBytes: 1 << 20,
  maxApplyBytes: 16 << 20,
  maxUncommittedBytes: 64 << 20,
  keepTrailing: 1024,
  snapshotRetryTicks: 0,
};

function isPositiveInt(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0;
}

export function resolveEngineConfig(config: EngineConfig): ResolvedEngineConfig {
  const c: ResolvedEngineConfig = { ...engineDefaults, ...stripUndefined(config) } as ResolvedEngineConfig;
  const fail = (why: string): never => {
    throw new RaftError("InvalidConfig", `invalid engine config: ${why}`);
  };
  if (!isPositiveInt(c.id)) fail(`id must be a positive integer, got ${c.id}`);
  if (!c.voters.every(isPositiveInt)) fail("voters must be positive integers");
  if (new Set(c.voters).size !== c.voters.length) fail("voters must be distinct");
  if (!isPositiveInt(c.electionTicks) || !isPositiveInt(c.heartbeatTicks)) fail("electionTicks and heartbeatTicks must be positive integers");
  if (c.heartbeatTicks >= c.electionTicks) fail("heartbeatTicks must be less than electionTicks");
  if (c.leaseRead && !c.checkQuorum) fail("leaseRead requires checkQuorum");
  for (const k of ["maxInflight", "maxInflightBytes", "maxCatchUpReadBytes", "maxCatchUpReadEntries", "maxMsgEntries", "maxMsgBytes", "maxApplyBytes", "maxUncommittedBytes"] as const) {
    if (!(c[k] > 0)) fail(`${k} must be positive`);
  }
  if (!Number.isSafeInteger(c.keepTrailing) || c.keepTrailing < 0) fail("keepTrailing must be a non-negative integer");
  if (!(c.logCacheBytes >= 0)) fail("logCacheBytes must be non-negative");
  if (c.snapshotRetryTicks === 0) c.snapshotRetryTicks = 4 * c.electionTicks;
  return c;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
