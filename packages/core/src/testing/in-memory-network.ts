import type { Clock, SnapshotRequest, Transport, TransportHandlers } from "../contracts/index.js";
import { NodeId, Prng, RaftError, type Message } from "../engine/index.js";
import { abortableDelay } from "../runtime/snapshots/abortable-delay.js";

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

/** Faults of snapshot streams, per chunk. */
export interface StreamFaults {
  /** Probability the stream breaks before a chunk (the fetcher must resume). */
  breakChance: number;
  /** Probability a chunk arrives with one byte flipped (verification must catch it). */
  corruptChance: number;
}

export const noStreamFaults: StreamFaults = { breakChance: 0, corruptChance: 0 };

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
  streamFaults: StreamFaults = noStreamFaults;
  /** Messages delivered, dropped (faults or cut links) and duplicated so far; snapshot bytes streamed, streams broken, chunks corrupted. */
  readonly stats = { delivered: 0, dropped: 0, duplicated: 0, snapshotBytes: 0, streamsBroken: 0, chunksCorrupted: 0 };
  private readonly handlers = new Map<NodeId, TransportHandlers>();
  private readonly cutLinks = new Set<string>();
  private readonly clock: Clock | undefined;
  private readonly prng: Prng;
  private queue: Message[] = [];

  constructor(options: { clock?: Clock; seed?: number } = {}) {
    this.clock = options.clock;
    this.prng = new Prng(options.seed ?? 1);
  }

  /** The transport endpoint of node `id` (a positive integer). */
  transport(nodeId: number): Transport {
    const id = NodeId.of(nodeId);
    let mine: TransportHandlers | undefined;
    return {
      start: async (handlers) => {
        mine = handlers;
        this.handlers.set(id, handlers);
      },
      send: (messages) => {
        for (const m of messages) this.send(m);
      },
      fetchSnapshot: (peer, request, signal) => this.stream(id, peer, request, signal),
      close: async () => {
        // A crashed incarnation may finish closing after its successor started: leave the successor's handlers.
        if (this.handlers.get(id) === mine) this.handlers.delete(id);
      },
    };
  }

  /**
   * A snapshot stream from `peer` to `to`: pulled chunk by chunk (the reader's
   * pace is the backpressure), each chunk delayed like a message, subject to
   * cut links and stream faults.
   */
  private async *stream(to: NodeId, peer: NodeId, request: SnapshotRequest, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const serving = new AbortController();
    const abort = () => serving.abort(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    const linkDown = () => new RaftError("Unavailable", `no route from ${to} to ${peer}`);
    try {
      const handlers = this.handlers.get(peer);
      if (handlers === undefined || this.isCut(to, peer)) throw linkDown();
      for await (const served of handlers.onSnapshotRequest(to, request, serving.signal)) {
        // Copied as a network would: the source may reuse its buffer once the next chunk is pulled.
        const chunk = served.slice();
        if (this.clock !== undefined) {
          const [min, max] = this.faults.delay;
          await abortableDelay(this.clock, max > min ? this.prng.int(min, max + 1) : min, signal);
        }
        if (signal.aborted) return;
        if (!this.handlers.has(peer) || !this.handlers.has(to) || this.isCut(peer, to) || this.isCut(to, peer)) throw linkDown();
        if (this.streamFaults.breakChance > 0 && this.prng.chance(this.streamFaults.breakChance)) {
          this.stats.streamsBroken++;
          throw new RaftError("Unavailable", `snapshot stream from ${peer} broke`);
        }
        if (this.streamFaults.corruptChance > 0 && chunk.length > 0 && this.prng.chance(this.streamFaults.corruptChance)) {
          this.stats.chunksCorrupted++;
          const at = this.prng.int(0, chunk.length);
          chunk[at] = (chunk[at] as number) ^ 0xff;
        }
        this.stats.snapshotBytes += chunk.length;
        yield chunk;
      }
    } finally {
      signal.removeEventListener("abort", abort);
      serving.abort();
    }
  }

  /** Stops delivery from `from` to `to` (one way). */
  cut(from: number, to: number): void {
    this.cutLinks.add(`${from}>${to}`);
  }

  /** Splits the nodes into groups that cannot reach each other. */
  partition(...groups: readonly (readonly number[])[]): void {
    for (const a of groups)
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.cut(x, y);
      }
  }

  /** Cuts every link to and from `id`. */
  isolate(id: number, all: readonly number[]): void {
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
    this.streamFaults = noStreamFaults;
  }

  isCut(from: number, to: number): boolean {
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
    const handlers = this.handlers.get(m.to);
    if (handlers === undefined || this.isCut(m.from, m.to)) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    handlers.onMessage(m);
  }
}
