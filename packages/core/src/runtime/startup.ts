import type { Logger, LogStore, SnapshotStore, StateMachine } from "../contracts/index.js";
import { isRaftError, RaftError, type SnapshotMeta } from "../engine/index.js";
import { readSnapshot } from "./snapshots/snapshot-writer.js";

/**
 * Restores the newest snapshot that verifies into the state machine (older
 * ones are fallbacks; a corrupted one is never restored). Fails with
 * `Corrupt` when the log was compacted past every valid snapshot.
 */
export async function restoreNewestSnapshot<Result>(d: {
  store: SnapshotStore;
  log: LogStore;
  stateMachine: StateMachine<Result>;
  logger: Logger;
  verify: boolean;
  chunkBytes: number;
}): Promise<SnapshotMeta | undefined> {
  const first = d.log.firstIndex();
  for (const meta of await d.store.list()) {
    if (meta.index + 1 < first) break; // it would leave a gap before the log; so would older ones
    try {
      if (d.verify) await d.store.verify(meta.id);
    } catch (e) {
      if (!isRaftError(e, "Corrupt")) throw e;
      d.logger.error("snapshot failed verification; not restoring it", { id: meta.id, error: e.message });
      continue;
    }
    await d.stateMachine.restore(meta, readSnapshot(d.store, meta, d.chunkBytes, d.stateMachine));
    d.logger.info("restored snapshot", { id: meta.id, index: meta.index });
    return meta;
  }
  if (first > 1) {
    throw new RaftError("Corrupt", `the log starts at ${first} but no valid snapshot covers the entries before it; wipe this node's data and let it rejoin`);
  }
  return undefined;
}

/** The log holds the snapshot's last entry, so replay can continue after it. */
export function logHolds(log: LogStore, meta: SnapshotMeta): boolean {
  return meta.index >= log.firstIndex() - 1 && meta.index <= log.lastIndex() && log.term(meta.index) === meta.term;
}
