import type { Index } from "./types.js";

/**
 * The append messages sent to one follower and not yet acknowledged, as the
 * last index each carried. A full window pauses replication to that follower.
 */
export class Inflights {
  private readonly capacity: number;
  private readonly buffer: Index[] = [];
  private start = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get count(): number {
    return this.buffer.length - this.start;
  }

  full(): boolean {
    return this.count >= this.capacity;
  }

  add(lastIndex: Index): void {
    this.buffer.push(lastIndex);
  }

  /** Frees every message whose last index is ≤ index. */
  freeLE(index: Index): void {
    while (this.start < this.buffer.length && (this.buffer[this.start] as Index) <= index) this.start++;
    this.compactIfSparse();
  }

  freeFirst(): void {
    if (this.start < this.buffer.length) this.start++;
    this.compactIfSparse();
  }

  reset(): void {
    this.buffer.length = 0;
    this.start = 0;
  }

  private compactIfSparse(): void {
    if (this.start === this.buffer.length) this.reset();
    else if (this.start > 64 && this.start * 2 > this.buffer.length) {
      this.buffer.splice(0, this.start);
      this.start = 0;
    }
  }
}
