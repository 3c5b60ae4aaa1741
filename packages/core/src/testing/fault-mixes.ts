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
}

const calmNetwork: NetworkFaults = { drop: 0, duplicate: 0, delay: [1, 3] };
const lossyNetwork: NetworkFaults = { drop: 0.1, duplicate: 0.05, delay: [1, 12] };
const cleanStreams: StreamFaults = { breakChance: 0, corruptChance: 0 };
const badStreams: StreamFaults = { breakChance: 0.03, corruptChance: 0.01 };

/** The named fault mixes the simulator cycles through. */
export const faultMixes = {
  calm: { network: calmNetwork, streams: cleanStreams, partition: 0, oneWay: 0, crash: 0, membership: 0.3 },
  lossy: { network: lossyNetwork, streams: badStreams, partition: 0, oneWay: 0, crash: 0, membership: 0 },
  partitions: { network: calmNetwork, streams: cleanStreams, partition: 0.5, oneWay: 0.4, crash: 0, membership: 0.3 },
  crashes: { network: calmNetwork, streams: badStreams, partition: 0, oneWay: 0, crash: 0.4, membership: 0 },
  chaos: { network: lossyNetwork, streams: badStreams, partition: 0.35, oneWay: 0.4, crash: 0.3, membership: 0.3 },
} satisfies Record<string, FaultMix>;

export type FaultMixName = keyof typeof faultMixes;
export const faultMixNames = Object.keys(faultMixes) as FaultMixName[];
