import type { Message } from "@raft/core/contracts";
import { messagesFrame } from "./envelope.js";

/** Messages per frame: beyond this, batching saves nothing and delays the first message. */
const MAX_BATCH = 1024;

export type Taken = { readonly frame: Buffer; readonly count: number } | { readonly oversized: Message };

/**
 * One peer's messages waiting for its connection: bounded, dropping the
 * oldest when full (Raft resends what matters; the newest carry the newest
 * term and commit index), and drained as frames that batch many messages.
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
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
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
   * Removes the longest prefix that encodes into one frame of at most
   * `maxFrameBytes`, and returns the frame; or, when the first message alone
   * is too large, removes and returns it.
   */
  take(maxFrameBytes: number): Taken | undefined {
    if (this.length === 0) return undefined;
    let n = 0;
    let estimate = 8;
    while (n < MAX_BATCH && this.head + n < this.items.length) {
      const size = estimatedBytes(this.items[this.head + n] as Message);
      if (n > 0 && estimate + size > maxFrameBytes) break;
      estimate += size;
      n++;
    }
    for (;;) {
      const batch = this.items.slice(this.head, this.head + n);
      const frame = messagesFrame(batch);
      if (frame.length <= maxFrameBytes) {
        this.head += n;
        this.compactIfEmpty();
        return { frame, count: n };
      }
      if (n === 1) {
        this.head += 1;
        this.compactIfEmpty();
        return { oversized: batch[0] as Message };
      }
      n = Math.ceil(n / 2);
    }
  }

  private compactIfEmpty(): void {
    if (this.head === this.items.length) this.clear();
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}

/** An upper-ish bound of a message's encoded size; `take` checks the real one. */
function estimatedBytes(m: Message): number {
  switch (m.type) {
    case "Append": {
      let n = 48;
      for (const e of m.entries) n += e.data.length + 12;
      return n;
    }
    case "InstallSnapshot": {
      let n = 4096 + m.snapshot.files.length * 200;
      for (const f of m.inline ?? []) n += f.data.length + 140;
      return n;
    }
    default:
      return 48;
  }
}
