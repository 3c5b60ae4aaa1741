import type { Message, NodeId } from "../engine/index.js";

/**
 * The `Transport` port: carries engine messages between nodes.
 *
 * Invariants:
 * - `send()` never throws for network reasons and never blocks: delivery is
 *   best effort (Raft tolerates loss, duplication and reordering) but messages
 *   to one peer are delivered in the order sent while a connection lasts;
 * - `onMessage` is called only with validated messages addressed to this node
 *   (wrong cluster, unknown sender, malformed or oversized frames are dropped
 *   and logged by the adapter);
 * - after `close()` resolves, `onMessage` is never called again.
 */
export interface Transport {
  /** Starts accepting messages for this node. */
  start(onMessage: (message: Message) => void): Promise<void>;
  /** Queues messages for delivery to their `to` nodes. */
  send(messages: readonly Message[]): void;
  /** Stops sending and receiving; releases sockets. */
  close(): Promise<void>;
}

/** Where peers can be reached; transports that use the network read addresses from it. */
export type AddressBook = ReadonlyMap<NodeId, string>;
