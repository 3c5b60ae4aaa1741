// Every process the benchmark starts registers how to stop it here, so that a
// failure, an exception or Ctrl-C still leaves no cluster running behind.

type Cleanup = () => Promise<void>;
const pending = new Set<Cleanup>();

/** Registers `fn` until the returned function is called (after a normal stop). */
export function onCleanup(fn: Cleanup): () => void {
  pending.add(fn);
  return () => pending.delete(fn);
}

/** Runs every registered cleanup, newest first, each at most once; errors are printed, not thrown. */
export async function cleanupAll(): Promise<void> {
  for (const fn of [...pending].reverse()) {
    pending.delete(fn);
    try {
      await fn();
    } catch (error) {
      console.error(`cleanup: ${(error as Error).message}`);
    }
  }
}

/** On SIGINT/SIGTERM: stop what was started, then exit as interrupted. */
export function cleanupOnSignals(): void {
  const stop = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the clusters…`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
