import type { Message, NodeId } from "../engine/index.js";
import type { SnapshotRequest } from "./schemas.js";

export type { SnapshotRequest };

/** What a node serves to its peers. */
export interface TransportHandlers {
  /** An engine message addressed to this node. */
  onMessage(message: Message): void;
  /**
   * A peer pulls snapshot bytes. The returned iterable is read with
   * backpressure; throwing ends the peer's stream with that error. The
   * transport is done with a chunk once it pulls the next one (or stops
   * pulling): the source may reuse the chunk's memory from then on, so a
   * transport copies or writes out each chunk before asking for more.
   */
  onSnapshotRequest(from: NodeId, request: SnapshotRequest, signal: AbortSignal): AsyncIterable<Uint8Array>;
}

export interface FetchSnapshotOptions {
  /**
   * The reader is done with each chunk by the time it pulls the next one, so
   * the transport may copy arriving chunks into a few buffers it reuses
   * (`ChunkBuffers`) instead of handing out the ones they arrived in: those
   * then die young, and a long transfer costs the reader no full garbage
   * collections. Default false: every chunk is the reader's to keep. A
   * transport may ignore it.
   */
  readonly reuseBuffers?: boolean;
}

/**
 * The `Transport` port: carries engine messages between nodes, and streams
 * snapshots out of band.
 *
 * Invariants:
 * - `send()` never throws for network reasons and never blocks: delivery is
 *   best effort (Raft tolerates loss, duplication and reordering) but messages
 *   to one peer are delivered in the order sent while a connection lasts;
 * - handlers are called only with validated input addressed to this node
 *   (wrong cluster, unknown sender, malformed or oversized frames are dropped
 *   and logged by the adapter);
 * - `fetchSnapshot` yields the peer's chunks in order, pulling more only as
 *   the consumer reads (bounded memory); it rejects with a `RaftError`
 *   (`Unavailable` for network failures, or the peer's error code) and stops
 *   when `signal` aborts;
 * - after `close()` resolves, handlers are never called again.
 */
export interface Transport {
  /** Starts accepting messages and snapshot requests for this node. */
  start(handlers: TransportHandlers): Promise<void>;
  /** Queues messages for delivery to their `to` nodes. */
  send(messages: readonly Message[]): void;
  /** Pulls a snapshot file range from `peer`. */
  fetchSnapshot(peer: NodeId, request: SnapshotRequest, signal: AbortSignal, options?: FetchSnapshotOptions): AsyncIterable<Uint8Array>;
  /**
   * Optional, for transports that dial: the addresses of the members, from
   * the configuration this node acts on. Called after `start()` and on every
   * membership change, so nodes added later are reachable. Addresses given
   * here win over ones configured up front; a node missing here keeps its
   * configured address.
   */
  updatePeers?(addresses: AddressBook): void;
  /** Stops sending and receiving; releases sockets. */
  close(): Promise<void>;
}

/**
 * Where peers can be reached (node id → `"host:port"`); transports that use
 * the network read addresses from it. Keyed by plain numbers: a transport
 * checks every entry anyway (`usableAddresses` skips invalid ones), so a
 * caller may pass a map it built by hand.
 */
export type AddressBook = ReadonlyMap<number, string>;
