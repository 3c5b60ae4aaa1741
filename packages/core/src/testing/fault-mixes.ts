import type { NetworkFaults, StreamFaults } from "./in-memory-network.js";

/** What can go wrong during a simulation's fault phase. */
export interface FaultMix {
  readonly network: NetworkFaults;
  /** Broken and corrupted snapshot streams. */
  readonly streams: StreamFaults;
  /** Probability, at each fault interval, of a new partition (or of healing the current one). */
  readonly partition: number;
  /** Share of partitions that are one-way rather than symmetric. */
  readonly oneWay: number;
  /** Probability, at each fault interval, of crashing a live node (or restarting a crashed one). */
  readonly crash: number;
  /** Probability, at each fault interval, of a membership change (add a learner, promote it, remove a voter). */
  readonly membership: number;
  /**
   * Probability, at each fault interval, that a node's disk stalls (the leader's, more often
   * than not) while it goes on replicating; half the time the node then crashes with its
   * writes still in flight.
   */
  readonly diskStall: number;
}

const calmNetwork: NetworkFaults = { drop: 0, duplicate: 0, delay: [1, 3] };
const lossyNetwork: NetworkFaults = { drop: 0.1, duplicate: 0.05, delay: [1, 12] };
const cleanStreams: StreamFaults = { breakChance: 0, corruptChance: 0 };
const badStreams: StreamFaults = { breakChance: 0.03, corruptChance: 0.01 };

/** The named fault mixes the simulator cycles through. */
export const faultMixes = {
  calm: { network: calmNetwork, streams: cleanStreams, partition: 0, oneWay: 0, crash: 0, membership: 0.3, diskStall: 0 },
  lossy: { network: lossyNetwork, streams: badStreams, partition: 0, oneWay: 0, crash: 0, membership: 0, diskStall: 0 },
  partitions: { network: calmNetwork, streams: cleanStreams, partition: 0.5, oneWay: 0.4, crash: 0, membership: 0.3, diskStall: 0 },
  crashes: { network: calmNetwork, streams: badStreams, partition: 0, oneWay: 0, crash: 0.4, membership: 0, diskStall: 0.3 },
  chaos: { network: lossyNetwork, streams: badStreams, partition: 0.35, oneWay: 0.4, crash: 0.3, membership: 0.3, diskStall: 0.2 },
  disks: { network: calmNetwork, streams: cleanStreams, partition: 0.5, oneWay: 0.2, crash: 0.1, membership: 0, diskStall: 0.6 },
} satisfies Record<string, FaultMix>;

export type FaultMixName = keyof typeof faultMixes;
export const faultMixNames = Object.keys(faultMixes) as FaultMixName[];
