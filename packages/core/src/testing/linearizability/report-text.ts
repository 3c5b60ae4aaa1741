import type { LinearizabilityFailure, LinearizabilityResult } from "./check.js";
import { formatValue } from "./format-value.js";
import type { Operation } from "./history.js";
import type { Model } from "./model.js";

/** Linearized operations shown before the unplaced ones: those in the window, at least this many. */
const MIN_CONTEXT = 3;
const MAX_CONTEXT = 20;

/** How the model describes an operation and a state, with JSON as the fallback. */
export function describer<S, I, O>(model: Model<S, I, O>): { operation: (op: Operation<I, O>) => string; state: (state: S) => string } {
  return {
    operation: (op) => (model.describeOperation !== undefined ? model.describeOperation(op.input, op.output) : `${formatValue(op.input)} → ${formatValue(op.output)}`),
    state: (state) => (model.describeState !== undefined ? model.describeState(state) : formatValue(state)),
  };
}

/** A time, to at most three decimals. */
export function formatTime(t: number): string {
  return Number.isInteger(t) || !Number.isFinite(t) ? String(t) : String(Number(t.toFixed(3)));
}

/** `[invoked, completed]`, with `…` for an open operation. */
export function formatInterval(op: Operation<unknown, unknown>): string {
  return `[${formatTime(op.invokedAt)}, ${op.completedAt === undefined ? "…" : formatTime(op.completedAt)}]`;
}

/** The linearized operations a report shows: those overlapping the window, and at least the last few. */
function contextOf<S, I, O>(failure: LinearizabilityFailure<S, I, O>): number {
  const inWindow = new Set(failure.window.operations);
  const first = failure.linearized.findIndex((l) => inWindow.has(l.operation));
  const shown = first === -1 ? 0 : failure.linearized.length - first;
  return Math.min(failure.linearized.length, Math.max(MIN_CONTEXT, Math.min(MAX_CONTEXT, shown)));
}

/**
 * The verdict as text. For a failure: the end of the longest linearizable
 * prefix with the state after each operation, the operations that could not
 * go next, and the completion the search could not get past.
 */
export function linearizabilityReport<S, I, O>(model: Model<S, I, O>, result: LinearizabilityResult<S, I, O>): string {
  const took = `${result.operations} operations, ${result.partitions} part${result.partitions === 1 ? "" : "s"}, ${Math.round(result.elapsedMs)} ms`;
  if (result.verdict === "ok") return `linearizable (${took})`;
  if (result.verdict === "unknown") return `unknown: the time bound ran out with ${result.checked} of ${result.partitions} parts found linearizable (${took})`;
  const f = result.failure;
  const describe = describer(model);
  const line = (op: Operation<I, O>): string => `client ${op.client}  ${formatInterval(op)}  ${describe.operation(op)}${op.completedAt === undefined ? "  (outcome unknown)" : ""}`;
  const lines = [`not linearizable (${took})`, `${partName(result.partitions, f.partition)} (${f.operations.length} operations) has no linearization.`, ""];
  const shown = contextOf(f);
  const skipped = f.linearized.length - shown;
  lines.push(`longest linearizable prefix: ${f.linearized.length} operation${f.linearized.length === 1 ? "" : "s"}${skipped > 0 ? `, the last ${shown}:` : ":"}`);
  if (skipped > 0) lines.push(`  … ${skipped} earlier`);
  f.linearized.slice(skipped).forEach(({ operation, state }, i) => lines.push(`  ${skipped + i + 1}. ${line(operation)}  ⇒ ${describe.state(state)}`));
  lines.push(`state after it: ${describe.state(f.state)}`, "", "could not be placed next (each is illegal in that state):");
  for (const op of f.unplaced) lines.push(`  ${line(op)}`);
  const pending = pendingOf(f);
  if (pending.length > 0) {
    lines.push("open operations pending then, left out of the prefix:");
    for (const op of pending) lines.push(`  ${line(op)}`);
  }
  lines.push(
    "",
    `no linearization gets past the completion of: client ${f.blocking.client} ${describe.operation(f.blocking)} at ${formatTime(f.blocking.completedAt ?? Number.NaN)}`,
    `failing window: [${formatTime(f.window.from)}, ${formatTime(f.window.to)}], ${f.window.operations.length} operations`,
  );
  return lines.join("\n");
}

/** "the history", or "part 3 of 10" (counting from 1) when the model partitions it. */
export function partName(partitions: number, partition: number): string {
  return partitions > 1 ? `part ${partition + 1} of ${partitions}` : "the history";
}

/** The window's open operations that are neither in the prefix nor unplaced. */
function pendingOf<S, I, O>(failure: LinearizabilityFailure<S, I, O>): Operation<I, O>[] {
  const placed = new Set<Operation<I, O>>([...failure.linearized.map((l) => l.operation), ...failure.unplaced]);
  return failure.window.operations.filter((op) => !placed.has(op));
}
