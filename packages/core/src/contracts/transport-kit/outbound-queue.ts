import type { Message } from "../../engine/index.js";

/** Messages per frame at most: beyond this, batching saves nothing and delays the first message. */
const MAX_BATCH = 1024;
/** Room left in a frame for what the estimate below leaves out (a transport's own framing). */
const FRAME_SLACK = 64;

/** A frame taken from the queue, or a message too large for any frame (removed; the caller counts and logs it). */
export type Taken<F> = { readonly frame: F; readonly count: number } | { readonly oversized: Message; readonly bytes: number };

/**
 * One peer's messages waiting for its connection, for every network
 * transport: first in, first out, bounded, and drained as frames that batch
 * many messages.
 *
 * **Overflow rule: a full queue drops its oldest message** to make room for
 * the newest. Raft resends whatever matters (a leader retries appends and
 * heartbeats each tick), and the newest messages carry the newest term and
 * commit index, so they are the ones worth keeping; `push` returns how many
 * were dropped for the caller to count.
 */
export class OutboundQueue {
  private items: Message[] = [];
  private head = 0;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Queues `m`; returns how many old messages were dropped to make room (0 or 1). */
  push(m: Message): number {
    let dropped = 0;
    if (this.length >= this.capacity) {
      this.head++;
      dropped = 1;
    }
    this.items.push(m);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  /** Empties the queue; returns how many messages it held. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    return n;
  }

  /**
   * Removes the longest prefix that `encode` turns into one frame of at most
   * `maxFrameBytes`, and returns the frame; or, when the first message alone
   * is too large, removes and returns it. Undefined when the queue is empty.
   * Frames are sized by estimate first, then checked: each message is encoded
   * once unless the estimate was short.
   */
  take<F extends { readonly length: number }>(maxFrameBytes: number, encode: (batch: readonly Message[]) => F): Taken<F> | undefined {
    if (this.length === 0) return undefined;
    let n = this.fitting(maxFrameBytes);
    for (;;) {
      const batch = this.items.slice(this.head, this.head + n);
      const frame = encode(batch);
      if (frame.length <= maxFrameBytes) {
        this.remove(n);
        return { frame, count: n };
      }
      if (n === 1) {
        this.remove(1);
        return { oversized: batch[0] as Message, bytes: frame.length };
      }
      n = Math.ceil(n / 2);
    }
  }

  /** How many messages from the head fit in a frame, by estimate; at least one. */
  private fitting(maxFrameBytes: number): number {
    const budget = maxFrameBytes - FRAME_SLACK;
    let size = 16;
    let n = 0;
    while (n < MAX_BATCH && this.head + n < this.items.length) {
      size += estimatedSize(this.items[this.head + n] as Message);
      if (n > 0 && size > budget) break;
      n++;
    }
    return Math.max(1, n);
  }

  private remove(n: number): void {
    this.head += n;
    if (this.head === this.items.length) this.clear();
  }
}

/** An upper-bound guess of a message's encoded size (`encodeMessages`), to fill frames without encoding twice. */
function estimatedSize(m: Message): number {
  switch (m.type) {
    case "Append": {
      let n = 48;
      for (const e of m.entries) n += e.data.length + 16;
      return n;
    }
    case "InstallSnapshot": {
      let n = 4096 + m.snapshot.files.length * 400 + Object.keys(m.snapshot.membership.addresses ?? {}).length * 1100;
      for (const f of m.inline ?? []) n += f.data.length + 300;
      return n;
    }
    default:
      return 48;
  }
}
