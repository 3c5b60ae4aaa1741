import type { Clock, Transport } from "../contracts/index.js";
import { Prng, type Message, type NodeId } from "../engine/index.js";

/** Network faults, applied to each message independently. */
export interface NetworkFaults {
  /** Probability a message is lost. */
  drop: number;
  /** Probability a message is delivered twice. */
  duplicate: number;
  /** Delivery delay in ms, drawn uniformly from [min, max]; a spread reorders messages. */
  delay: readonly [min: number, max: number];
}

export const noFaults: NetworkFaults = { drop: 0, duplicate: 0, delay: [0, 0] };

/**
 * Connects in-process nodes. With a clock, messages are delivered after the
 * configured delay through its timers (deterministic under `SimClock`);
 * without one, they are delivered in order in the next turn of the event
 * loop (`setImmediate`), as a socket would, so timers keep running.
 *
 * Links can be cut in one direction (`cut(from, to)`) or both (`partition`).
 */
export class InMemoryNetwork {
  faults: NetworkFaults = noFaults;
  /** Messages delivered, dropped (faults or cut links) and duplicated so far. */
  readonly stats = { delivered: 0, dropped: 0, duplicated: 0 };
  private readonly handlers = new Map<NodeId, (m: Message) => void>();
  private readonly cutLinks = new Set<string>();
  private readonly clock: Clock | undefined;
  private readonly prng: Prng;
  private queue: Message[] = [];

  constructor(options: { clock?: Clock; seed?: number } = {}) {
    this.clock = options.clock;
    this.prng = new Prng(options.seed ?? 1);
  }

  /** The transport endpoint of node `id`. */
  transport(id: NodeId): Transport {
    return {
      start: async (onMessage) => {
        this.handlers.set(id, onMessage);
      },
      send: (messages) => {
        for (const m of messages) this.send(m);
      },
      close: async () => {
        this.handlers.delete(id);
      },
    };
  }

  /** Stops delivery from `from` to `to` (one way). */
  cut(from: NodeId, to: NodeId): void {
    this.cutLinks.add(`${from}>${to}`);
  }

  /** Splits the nodes into groups that cannot reach each other. */
  partition(...groups: readonly (readonly NodeId[])[]): void {
    for (const a of groups) for (const b of groups) {
      if (a === b) continue;
      for (const x of a) for (const y of b) this.cut(x, y);
    }
  }

  /** Cuts every link to and from `id`. */
  isolate(id: NodeId, all: readonly NodeId[]): void {
    for (const other of all) {
      if (other === id) continue;
      this.cut(id, other);
      this.cut(other, id);
    }
  }

  /** Restores every link and removes all faults. */
  heal(): void {
    this.cutLinks.clear();
    this.faults = noFaults;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks.has(`${from}>${to}`);
  }

  private send(m: Message): void {
    if (this.isCut(m.from, m.to) || (this.faults.drop > 0 && this.prng.chance(this.faults.drop))) {
      this.stats.dropped++;
      return;
    }
    const copies = this.faults.duplicate > 0 && this.prng.chance(this.faults.duplicate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      if (this.clock === undefined) this.enqueue(m);
      else {
        const [min, max] = this.faults.delay;
        const delay = max > min ? this.prng.int(min, max + 1) : min;
        this.clock.setTimeout(() => this.deliver(m), delay);
      }
    }
  }

  private enqueue(m: Message): void {
    this.queue.push(m);
    if (this.queue.length === 1) {
      setImmediate(() => {
        const batch = this.queue;
        this.queue = [];
        for (const msg of batch) this.deliver(msg);
      });
    }
  }

  private deliver(m: Message): void {
    // A link cut while the message was in flight loses it.
    const handler = this.handlers.get(m.to);
    if (handler === undefined || this.isCut(m.from, m.to)) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    handler(m);
  }
}
