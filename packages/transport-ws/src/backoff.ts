/**
 * The wait before reconnection attempt `failures` (1 for the first retry):
 * doubling from `minMs` up to `maxMs`, jittered over the upper half of that
 * ceiling so peers that lost each other at once do not redial in lockstep.
 */
export function backoffDelay(failures: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.max(minMs, ceiling * (0.5 + random() / 2));
}
