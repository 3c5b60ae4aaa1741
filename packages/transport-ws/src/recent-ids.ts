/**
 * The last `capacity` ids added: streams that ended recently, whose late
 * frames (credit crossing an END on the wire, chunks already sent when a
 * CANCEL left) are expected and dropped quietly. Anything else naming an
 * unknown stream is a protocol violation.
 */
export class RecentIds {
  private readonly ring: number[] = [];
  private readonly members = new Set<number>();
  private next = 0;

  constructor(private readonly capacity = 64) {}

  add(id: number): void {
    if (this.members.has(id)) return;
    if (this.ring.length < this.capacity) this.ring.push(id);
    else {
      this.members.delete(this.ring[this.next] as number);
      this.ring[this.next] = id;
      this.next = (this.next + 1) % this.capacity;
    }
    this.members.add(id);
  }

  has(id: number): boolean {
    return this.members.has(id);
  }
}
