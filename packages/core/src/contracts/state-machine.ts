import type { Index, Term } from "../engine/index.js";

/** A committed command, in log order. */
export interface Command {
  readonly index: Index;
  readonly term: Term;
  readonly data: Uint8Array;
}

/**
 * The `StateMachine` port: the user's replicated state.
 *
 * Invariants:
 * - `apply` is deterministic: the same commands in the same order give the
 *   same state and the same results on every node (no clock, no randomness,
 *   no I/O whose outcome can differ);
 * - it is called with commands in log order, each exactly once per
 *   incarnation of the node, and never concurrently with itself;
 * - it returns one result per command, in order. A command the state machine
 *   rejects (an overdraft, say) is still applied: its result says so.
 */
export interface StateMachine<Result = unknown> {
  apply(commands: readonly Command[]): Result[] | Promise<Result[]>;
}
