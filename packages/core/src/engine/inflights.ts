import type { Index } from "./types.js";

/**
 * The append messages sent to one follower and not yet acknowledged, as the
 * last index each carried and its bytes. A window full by count or by bytes
 * pauses replication to that follower.
 */
export class Inflights {
  private readonly lastIndexes: Index[] = [];
  private readonly sizes: number[] = [];
  private start = 0;
  private inFlightBytes = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxBytes: number,
  ) {}

  get count(): number {
    return this.lastIndexes.length - this.start;
  }

  get bytes(): number {
    return this.inFlightBytes;
  }

  full(): boolean {
    return this.count >= this.capacity || this.inFlightBytes >= this.maxBytes;
  }

  add(lastIndex: Index, bytes: number): void {
    this.lastIndexes.push(lastIndex);
    this.sizes.push(bytes);
    this.inFlightBytes += bytes;
  }

  /** Frees every message whose last index is ≤ index. */
  freeLE(index: Index): void {
    while (this.start < this.lastIndexes.length && (this.lastIndexes[this.start] as Index) <= index) this.freeOne();
    this.compactIfSparse();
  }

  freeFirst(): void {
    if (this.start < this.lastIndexes.length) this.freeOne();
    this.compactIfSparse();
  }

  reset(): void {
    this.lastIndexes.length = 0;
    this.sizes.length = 0;
    this.start = 0;
    this.inFlightBytes = 0;
  }

  private freeOne(): void {
    this.inFlightBytes -= this.sizes[this.start] as number;
    this.start++;
  }

  private compactIfSparse(): void {
    if (this.start === this.lastIndexes.length) this.reset();
    else if (this.start > 64 && this.start * 2 > this.lastIndexes.length) {
      this.lastIndexes.splice(0, this.start);
      this.sizes.splice(0, this.start);
      this.start = 0;
    }
  }
}
