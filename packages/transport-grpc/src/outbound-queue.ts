import { encodeMessages, type Message } from "@raft/core/contracts";
import { encodeFrame, frameSize } from "./proto-messages.js";

/** Room left in a frame for the per-message overhead the estimate below leaves out. */
const FRAME_SLACK = 64;

/** An upper-bound guess of a message's encoded size, to fill frames without encoding twice. */
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

/**
 * One peer's messages waiting to be sent: bounded (a full queue refuses
 * more; the caller counts the drop), first in first out, and cut into frames
 * of at most `maxFrameBytes`.
 */
export class OutboundQueue {
  private items: Message[] = [];
  private head = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxFrameBytes: number,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** False if the queue is full (the message is not queued). */
  push(m: Message): boolean {
    if (this.length >= this.capacity) return false;
    this.items.push(m);
    return true;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  /**
   * Takes the next frame: as many queued messages as fit, encoded. A message
   * that cannot fit in any frame is removed and handed to `oversized`.
   * Undefined when the queue is empty.
   */
  nextFrame(oversized: (m: Message, bytes: number) => void): { frame: Buffer; messages: number } | undefined {
    while (this.length > 0) {
      let count = this.fitting();
      for (;;) {
        const batch = this.items.slice(this.head, this.head + count);
        const body = encodeMessages(batch);
        if (frameSize(body.length) <= this.maxFrameBytes) {
          this.drop(count);
          return { frame: encodeFrame(body), messages: count };
        }
        if (count === 1) {
          this.drop(1);
          oversized(batch[0] as Message, body.length);
          break;
        }
        count = Math.ceil(count / 2);
      }
    }
    return undefined;
  }

  /** How many messages from the head fit in a frame, by estimate; at least one. */
  private fitting(): number {
    const budget = this.maxFrameBytes - FRAME_SLACK;
    let size = 16;
    let n = 0;
    while (this.head + n < this.items.length) {
      size += estimatedSize(this.items[this.head + n] as Message);
      if (n > 0 && size > budget) break;
      n++;
    }
    return Math.max(1, n);
  }

  private drop(n: number): void {
    this.head += n;
    if (this.head === this.items.length) this.clear();
    else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
