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

/** `T` known to satisfy the invariant named by `B`. */
type Branded<T, B extends string> = T & { readonly [brand]: B };

/** A node's identity in the cluster: a positive safe integer. Where a node may be unknown, the type is `NodeId | 0`. */
export type NodeId = Branded<number, "NodeId">;
/** A Raft term: a non-negative safe integer, 0 before any election. */
export type Term = Branded<number, "Term">;
/** A log position: a non-negative safe integer, 0 meaning "before the first entry". */
export type Index = Branded<number, "Index">;

function isNonNegative(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function checked<T extends number>(what: string, is: (n: number) => n is T): (n: number) => T {
  return (n) => {
    if (!is(n)) throw new RangeError(`not ${what}: ${n}`);
    return n;
  };
}

function isTerm(n: number): n is Term {
  return isNonNegative(n);
}
function isIndex(n: number): n is Index {
  return isNonNegative(n);
}
function isNodeId(n: number): n is NodeId {
  return isNonNegative(n) && n > 0;
}

const toTerm = checked("a term", isTerm);
const toIndex = checked("a log index", isIndex);

/** Constructor, guard and zero of {@link Term}. */
export const Term = { of: toTerm, is: isTerm, zero: toTerm(0) } as const;
/** Constructor, guard and zero ("before the first entry") of {@link Index}. */
export const Index = { of: toIndex, is: isIndex, zero: toIndex(0) } as const;
/** Constructor and guard of {@link NodeId}. */
export const NodeId = { of: checked("a node id", isNodeId), is: isNodeId } as const;
