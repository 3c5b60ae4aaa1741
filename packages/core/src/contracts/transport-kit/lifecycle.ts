import { RaftError } from "../../engine/errors.js";
import { NodeId } from "../../engine/index.js";
import type { Logger } from "../logger.js";
import type { AddressBook, TransportHandlers } from "../transport.js";
import { isAddress } from "./address.js";

/**
 * The states every network transport goes through: listening (bound, not
 * delivering: messages that arrive are dropped), started (handlers set),
 * closed (for good: handlers are never called again).
 */
export class TransportLifecycle {
  private state: "listening" | "started" | "closed" = "listening";
  private current: TransportHandlers | undefined;

  get closed(): boolean {
    return this.state === "closed";
  }

  /** The node's handlers while started; undefined before `start()` and after `close()`. */
  get handlers(): TransportHandlers | undefined {
    return this.state === "started" ? this.current : undefined;
  }

  /** Throws `Stopped` after close, `InvalidConfig` if already started. */
  start(handlers: TransportHandlers): void {
    if (this.state === "closed") throw new RaftError("Stopped", "the transport is closed");
    if (this.state === "started") throw new RaftError("InvalidConfig", "the transport is already started");
    this.current = handlers;
    this.state = "started";
  }

  /** Moves to closed; false if it already was (the caller has nothing left to do). */
  close(): boolean {
    if (this.state === "closed") return false;
    this.state = "closed";
    this.current = undefined;
    return true;
  }
}

/**
 * The entries of a membership address book (`Transport.updatePeers`) a
 * transport can use: valid node ids with `"host:port"` addresses, this
 * node's own left out. Invalid entries are logged and skipped, never thrown
 * (membership is not this transport's to refuse).
 */
export function usableAddresses(book: AddressBook, self: number, logger: Logger, what: string): Map<NodeId, string> {
  const valid = new Map<NodeId, string>();
  for (const [id, address] of book) {
    if (id === self) continue;
    if (NodeId.is(id) && isAddress(address)) valid.set(id, address);
    else logger.warn(`${what}: ignoring a member's invalid address`, { peer: id, address: String(address).slice(0, 100) });
  }
  return valid;
}
