/** Time for the runtime: the only timers a node uses. Inject a simulated one for deterministic tests. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Calls `fn` after `ms` milliseconds; returns a function that cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
  /**
   * Calls `fn` once the inputs that are ready now (the I/O callbacks of this
   * turn of the event loop) have run, so the runtime batches them into one
   * Ready. Optional: without it the runtime waits for a microtask only.
   */
  defer?(fn: () => void): void;
}
