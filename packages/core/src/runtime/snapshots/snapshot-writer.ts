import type { SnapshotDraft, SnapshotFileStream, SnapshotStore, StateMachine, StateMachineSnapshot } from "../../contracts/index.js";
import { RaftError, type SnapshotMeta } from "../../engine/index.js";
import { readAhead } from "./read-ahead.js";

/** Streams a state machine's frozen view into a new snapshot; the store computes sizes and checksums. */
export async function writeSnapshot(store: SnapshotStore, draft: SnapshotDraft, view: StateMachineSnapshot, signal: AbortSignal): Promise<SnapshotMeta> {
  try {
    const writer = await store.create(draft);
    try {
      for (const file of view.files) {
        await writer.write(file.name, new Uint8Array(0)); // an empty file is still a file
        for await (const chunk of file.chunks()) {
          if (signal.aborted) throw new RaftError("Aborted", `snapshot at ${draft.index} was aborted`);
          await writer.write(file.name, chunk);
        }
      }
      return await writer.commit();
    } catch (e) {
      await writer.abort().catch(() => {});
      throw e;
    }
  } finally {
    view.release?.();
  }
}

/**
 * A committed snapshot's files, read from the store in manifest order, the
 * next chunk read while the state machine takes this one. For a state
 * machine that `reuseRestoreBuffers`, the store reads into reused buffers
 * (and reads ahead itself).
 */
export function readSnapshot(store: SnapshotStore, meta: SnapshotMeta, chunkSize: number, stateMachine: Pick<StateMachine, "reuseRestoreBuffers">): SnapshotFileStream {
  const reuseBuffers = stateMachine.reuseRestoreBuffers === true;
  return (async function* () {
    for (const f of meta.files) {
      const chunks = store.open(meta.id, f.name, { chunkSize, reuseBuffers });
      yield { name: f.name, chunks: reuseBuffers ? chunks : readAhead(chunks, 1) };
    }
  })();
}
