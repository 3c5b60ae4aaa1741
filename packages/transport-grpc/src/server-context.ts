import type { Message, NodeId, TransportHandlers } from "@raft/core/contracts";
import type { HandshakePolicy } from "./handshake.js";
import type { RejectionReason } from "./rejections.js";
import type { MutableStats } from "./stats.js";

/** What the service handlers need from the transport. */
export interface ServerContext {
  readonly self: NodeId;
  readonly clusterId: string;
  readonly policy: HandshakePolicy;
  readonly stats: MutableStats;
  /** Largest snapshot chunk payload that fits in one gRPC message. */
  readonly maxChunkBytes: number;
  readonly snapshotIdleMs: number;
  /** The node's handlers; undefined before `start()` and after `close()`. */
  handlers(): TransportHandlers | undefined;
  /** Hands validated messages to the node (or drops them before `start()` and after `close()`). */
  deliver(messages: readonly Message[]): void;
  /** Counts and (rate-limited) logs a rejection. */
  reject(reason: RejectionReason, fields: Record<string, unknown>): void;
  /** An accepted caller's advertised address. */
  learn(caller: NodeId, address: string): void;
  /** A sign of life from `caller` (an accepted call, a good frame): this node's link to it stops backing off. */
  heard(caller: NodeId): void;
}
