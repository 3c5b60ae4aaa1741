import type { Prng } from "../../engine/index.js";
import { faultMixes, faultMixNames, type FaultMix, type FaultMixName } from "../fault-mixes.js";
import type { MemoryBucket } from "../memory-bucket.js";
import { MemorySnapshotStore } from "../memory-snapshot-store.js";

export interface SimulationOptions {
  seed: number;
  /** Cluster size. Default 3. */
  nodes?: number;
  /** Fault mix; by default chosen from the seed. */
  mix?: FaultMixName;
  /** Length of the fault phase, simulated ms. Default 2000. */
  faultMs?: number;
  /** Length of the heal phase, simulated ms. Default 2000, or 4000 under settings slow to heal (see `slowToHeal`). */
  healMs?: number;
  /** Serve reads from the leader lease; by default chosen from the seed. */
  leaseRead?: boolean;
  /** Receives a line per notable event (for replaying a failing seed). */
  trace?: (line: string) => void;
}

/** Everything a run is made of, drawn from its seed (in this order: a seed replays exactly). */
export interface RunSettings {
  readonly seed: number;
  readonly size: number;
  readonly mixName: FaultMixName;
  readonly mix: FaultMix;
  readonly leaseRead: boolean;
  readonly maxMsgEntries: number;
  readonly maxInflight: number;
  readonly snapshotEntries: number;
  readonly keepTrailing: number;
  readonly snapshotChunkBytes: number;
  readonly snapshotInlineBytes: number;
  readonly bucket: MemoryBucket | undefined;
  readonly maxFsyncMs: number;
  readonly logCacheBytes: number;
  readonly maxCatchUpReadEntries: number;
  /** When set, logs read catch-up entries ahead, taking 0 to this many ms. */
  readonly readAheadMaxMs: number | undefined;
  /** Catch-up read pacing (bytes per second, 0: unlimited). */
  readonly catchUpMaxBytesPerSecond: number;
  readonly faultMs: number;
  readonly healMs: number;
}

export function drawSettings(options: SimulationOptions, prng: Prng): RunSettings {
  const seed = options.seed;
  const mixName = options.mix ?? (faultMixNames[seed % faultMixNames.length] as FaultMixName);
  const drawn = {
    seed,
    size: options.nodes ?? 3,
    mixName,
    mix: faultMixes[mixName],
    leaseRead: options.leaseRead ?? prng.chance(0.3),
    // Small messages and windows split replication in ways large batches hide.
    maxMsgEntries: [1, 2, 3, 8, 4096][prng.int(0, 5)] as number,
    maxInflight: [1, 2, 8, 256][prng.int(0, 4)] as number,
    // Frequent snapshots and short trailing logs, so lagging and restarted nodes need installs;
    // tiny chunks so transfers span many of them; inline (embedded) transfers for some seeds.
    snapshotEntries: prng.int(20, 150),
    keepTrailing: prng.int(0, 30),
    snapshotChunkBytes: prng.int(32, 257),
    snapshotInlineBytes: prng.chance(0.3) ? 1 << 20 : 0,
    // Some runs keep snapshots in a shared bucket, a prefix per node (as on S3): followers
    // read the leader's snapshot from its location, and fall back to the leader when the
    // bucket is out of reach.
    bucket: prng.chance(0.3) ? MemorySnapshotStore.bucket() : undefined,
    // Slow disks keep several writes in flight behind the loop, so group commit merges them
    // and the leader's own write lags its followers' (a crash loses whatever is in flight).
    maxFsyncMs: [1, 3, 6, 10][prng.int(0, 4)] as number,
    // Small entry caches and read budgets, so lagging followers are caught up from storage
    // in bounded slices spread over several turns.
    logCacheBytes: [0, 256, 16 << 20][prng.int(0, 3)] as number,
    maxCatchUpReadEntries: [1, 4, 1024][prng.int(0, 3)] as number,
    // Half the runs read catch-up entries ahead, off the loop: reads that complete out of turn,
    // after writes and compactions that void them.
    readAheadMaxMs: prng.chance(0.5) ? prng.int(0, 6) : undefined,
    // Slow pacing holds entries read ahead back for a while, so writes and compactions land meanwhile.
    catchUpMaxBytesPerSecond: [0, SLOW_PACING, 200_000, 16 << 20][prng.int(0, 4)] as number,
    faultMs: options.faultMs ?? 2000,
  };
  return { ...drawn, healMs: options.healMs ?? (slowToHeal(drawn) ? 4000 : 2000) };
}

/**
 * Settings under which a cluster takes seconds, not milliseconds, to
 * converge once healed, though it makes steady progress:
 * - at the slow pacing rate, several followers each hundreds of entries
 *   behind (with no entry cache, the whole log is paced) take most of two
 *   seconds to catch up;
 * - a window of one message carrying one entry (one entry per message, or per
 *   catch-up read) moves a lagging follower one entry per round trip, no
 *   faster than the fault phase's clients add entries, so the backlog of the
 *   fault phase (a learner added near its end included) takes seconds to
 *   commit and replicate (seed 51466).
 */
function slowToHeal(s: Pick<RunSettings, "catchUpMaxBytesPerSecond" | "maxInflight" | "maxMsgEntries" | "maxCatchUpReadEntries">): boolean {
  const oneEntryPerRoundTrip = s.maxInflight === 1 && Math.min(s.maxMsgEntries, s.maxCatchUpReadEntries) === 1;
  return s.catchUpMaxBytesPerSecond === SLOW_PACING || oneEntryPerRoundTrip;
}

/** Bytes per second of the slowest catch-up pacing a run may draw. */
const SLOW_PACING = 20_000;
