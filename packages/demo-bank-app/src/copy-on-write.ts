/**
 * The positions [start, end) of a growing sequence as they were when frozen.
 * Positions overwritten since keep their old value here; the rest are read
 * from the live sequence, which has not changed them.
 */
export class FrozenRange<T extends NonNullable<unknown>> {
  /** Old values of positions overwritten since the freeze. */
  readonly saved = new Map<number, T>();

  constructor(
    readonly start: number,
    readonly end: number,
  ) {}

  /** The frozen value at `position`, given the live one. */
  read(position: number, live: T): T {
    return this.saved.get(position) ?? live;
  }
}

/**
 * Copy-on-write for sequences whose writes either append or overwrite one
 * position: before an overwrite, each frozen range covering the position
 * saves the old value once. A freeze costs nothing; memory grows only with
 * the positions written while a range is held.
 */
export class CopyOnWrite<T extends NonNullable<unknown>> {
  private readonly ranges = new Set<FrozenRange<T>>();

  freeze(start: number, end: number): FrozenRange<T> {
    const range = new FrozenRange<T>(start, end);
    this.ranges.add(range);
    return range;
  }

  /** Stops saving for `range` (its reader is done). */
  release(range: FrozenRange<T>): void {
    this.ranges.delete(range);
  }

  /** Frozen ranges still held. */
  get held(): number {
    return this.ranges.size;
  }

  /** Call before overwriting `position`, with the value it holds now. */
  beforeOverwrite(position: number, current: T): void {
    if (this.ranges.size === 0) return;
    for (const r of this.ranges) {
      if (position >= r.start && position < r.end && !r.saved.has(position)) r.saved.set(position, current);
    }
  }
}
