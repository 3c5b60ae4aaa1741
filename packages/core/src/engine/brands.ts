/**
 * Terms, log indices and node ids are numbers with a brand, so the compiler
 * refuses a term where an index is expected, or a node id where either is.
 * A brand costs nothing at run time: the values are plain numbers on the wire,
 * in storage and in memory.
 *
 * A branded value comes from one of three places:
 * - a zod schema at a trust boundary (`termSchema`, `indexSchema`,
 *   `nodeIdSchema` in `@raft/core/contracts`), which checks it;
 * - a constructor here (`Term.of`, `Index.of`, `NodeId.of`), which checks it
 *   and throws a `RangeError` (a bug, not an operational failure) otherwise;
 * - a value already branded, such as an entry's index read from the log.
 *
 * Arithmetic gives a plain number back; wrap its result in `of` again.
 */

declare const brand: unique symbol;

/** A node's identity in the cluster: a positive safe integer. Where a node may be unknown, the type is `NodeId | 0`. */
export type NodeId = number & { readonly [brand]: "NodeId" };
/** A Raft term: a non-negative safe integer, 0 before any election. */
export type Term = number & { readonly [brand]: "Term" };
/** A log position: a non-negative safe integer, 0 meaning "before the first entry". */
export type Index = number & { readonly [brand]: "Index" };

function isNonNegative(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function checked<T extends number>(what: string, is: (n: number) => n is T): (n: number) => T {
  return (n) => {
    if (!is(n)) throw new RangeError(`not ${what}: ${n}`);
    return n;
  };
}

const isTerm = (n: number): n is Term => isNonNegative(n);
const isIndex = (n: number): n is Index => isNonNegative(n);
const isNodeId = (n: number): n is NodeId => isNonNegative(n) && n > 0;
const toTerm = checked("a term", isTerm);
const toIndex = checked("a log index", isIndex);

/** `Term.of(n)`: `n` as a term (throws a `RangeError` unless a non-negative safe integer); `Term.is(n)` narrows; `Term.zero`. */
export const Term: { readonly of: (n: number) => Term; readonly is: (n: number) => n is Term; readonly zero: Term } = { of: toTerm, is: isTerm, zero: toTerm(0) };
/** `Index.of(n)`: `n` as a log index (throws a `RangeError` unless a non-negative safe integer); `Index.is(n)` narrows; `Index.zero`. */
export const Index: { readonly of: (n: number) => Index; readonly is: (n: number) => n is Index; readonly zero: Index } = { of: toIndex, is: isIndex, zero: toIndex(0) };
/** `NodeId.of(n)`: `n` as a node id (throws a `RangeError` unless a positive safe integer); `NodeId.is(n)` narrows. */
export const NodeId: { readonly of: (n: number) => NodeId; readonly is: (n: number) => n is NodeId } = { of: checked("a node id", isNodeId), is: isNodeId };
