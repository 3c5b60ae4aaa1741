/**
 * `@raft/core/contracts`: the ports adapters implement, the wire schemas that
 * guard trust boundaries, and the typed errors.
 */
export type { Clock } from "./clock.js";
export type { LogStore, LogWrite } from "./log-store.js";
export { consoleLogger, silentLogger, type Logger } from "./logger.js";
export { entrySchema, hardStateSchema, indexSchema, messageSchema, nodeIdSchema, parseMessage, termSchema } from "./schemas.js";
export type { Command, StateMachine } from "./state-machine.js";
export type { AddressBook, Transport } from "./transport.js";
export { RaftError, isRaftError, type RaftErrorCode } from "../engine/errors.js";
export type { Entry, HardState, Index, LogReader, Message, NodeId, Term } from "../engine/index.js";
