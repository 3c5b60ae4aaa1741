import type { Command, SnapshotFileStream, StateMachine, StateMachineSnapshot } from "@raft/core/contracts";

const CHUNK = 1 << 20;

/**
 * A state machine whose state is `size` bytes of deterministic data, never
 * held in memory: snapshots generate it chunk by chunk; restores check the
 * pattern's words as they stream by (the store already verified the SHA-256).
 * Memory use is one chunk, whatever the size.
 */
export class BlobMachine implements StateMachine<number> {
  /** Size of the last restored state. */
  restoredBytes = 0;
  private applied = 0;
  /** `restore` checks each chunk before it pulls the next. */
  readonly reuseRestoreBuffers = true;

  constructor(private readonly size: number) {}

  apply(commands: readonly Command[]): number[] {
    return commands.map(() => ++this.applied);
  }

  snapshot(): StateMachineSnapshot {
    const size = this.size;
    return {
      files: [
        {
          name: "blob",
          async *chunks() {
            for (let offset = 0; offset < size; offset += CHUNK) {
              const chunk = new Uint8Array(Math.min(CHUNK, size - offset));
              // Cheap deterministic content: a word pattern that varies with the offset.
              const words = new Uint32Array(chunk.buffer, 0, chunk.length >>> 2);
              for (let i = 0; i < words.length; i++) words[i] = (offset + i * 4) ^ 0x9e3779b9;
              yield chunk;
            }
          },
        },
      ],
    };
  }

  async restore(_meta: unknown, files: SnapshotFileStream): Promise<void> {
    let bytes = 0;
    for await (const file of files) {
      for await (const chunk of file.chunks) {
        // Spot-check the generated pattern once per chunk: cheap, and catches misplaced data.
        const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (chunk.length >= 4 && view.getUint32(0, true) !== (bytes ^ 0x9e3779b9) >>> 0) throw new Error(`unexpected bytes at ${bytes}`);
        bytes += chunk.length;
      }
    }
    this.restoredBytes = bytes;
  }
}
