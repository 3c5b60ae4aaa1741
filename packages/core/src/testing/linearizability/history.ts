/** Who issued an operation: a client, process or connection. Operations of one client are drawn on one row. */
export type ClientId = string | number;

/**
 * One operation of a history: `client` invoked `input` at `invokedAt` and got
 * `output` at `completedAt`. Times are any numbers on one clock (ms, ns, a
 * logical counter); only their order matters, and equal times count as
 * overlapping.
 *
 * An operation whose outcome is unknown (a timeout, a crashed client) has no
 * `completedAt`: it may have taken effect at any time after its invocation,
 * or never. Its `output`, if any, is ignored.
 */
export interface Operation<I, O> {
  readonly client: ClientId;
  readonly input: I;
  readonly invokedAt: number;
  readonly output?: O;
  readonly completedAt?: number;
}

/** A concurrent history: operations in any order. */
export type History<I, O> = readonly Operation<I, O>[];

/**
 * One event of a history recorded as a log, Jepsen style: `invoke`, then one
 * of `ok` (completed with `output`), `fail` (definitely did not take effect:
 * dropped from the history) or `info` (outcome unknown: the operation stays
 * open). `time` defaults to the event's position in the log.
 */
export type HistoryEvent<I, O> =
  | { readonly kind: "invoke"; readonly client: ClientId; readonly input: I; readonly time?: number }
  | { readonly kind: "ok"; readonly client: ClientId; readonly output: O; readonly time?: number }
  | { readonly kind: "fail" | "info"; readonly client: ClientId; readonly time?: number };

/**
 * Pairs each completion with its client's pending invocation. A client has
 * at most one operation pending; an `info` frees it to invoke again while
 * the unknown one stays open. Invocations never completed stay open too.
 */
export function historyFromEvents<I, O>(events: readonly HistoryEvent<I, O>[]): Operation<I, O>[] {
  const pending = new Map<ClientId, { slot: number; input: I; invokedAt: number }>();
  const slots: (Operation<I, O> | undefined)[] = [];
  events.forEach((e, position) => {
    const time = e.time ?? position;
    const p = pending.get(e.client);
    if (e.kind === "invoke") {
      if (p !== undefined) throw new RangeError(`event ${position}: client ${e.client} invokes while an operation is pending`);
      pending.set(e.client, { slot: slots.length, input: e.input, invokedAt: time });
      slots.push(undefined);
      return;
    }
    if (p === undefined) throw new RangeError(`event ${position}: client ${e.client} completes nothing`);
    pending.delete(e.client);
    if (e.kind === "ok") slots[p.slot] = { client: e.client, input: p.input, invokedAt: p.invokedAt, output: e.output, completedAt: time };
    else if (e.kind === "info") slots[p.slot] = { client: e.client, input: p.input, invokedAt: p.invokedAt };
  });
  for (const [client, p] of pending) slots[p.slot] = { client, input: p.input, invokedAt: p.invokedAt };
  return slots.filter((op): op is Operation<I, O> => op !== undefined);
}

/** Throws a RangeError naming the first operation whose times make no sense. */
export function assertWellFormed<I, O>(history: History<I, O>): void {
  history.forEach((op, i) => {
    if (!Number.isFinite(op.invokedAt)) throw new RangeError(`operation ${i}: invokedAt must be a finite number`);
    if (op.completedAt === undefined) return;
    if (!Number.isFinite(op.completedAt)) throw new RangeError(`operation ${i}: completedAt must be a finite number (leave it out when the outcome is unknown)`);
    if (op.completedAt < op.invokedAt) throw new RangeError(`operation ${i}: completed at ${op.completedAt}, before its invocation at ${op.invokedAt}`);
  });
}
