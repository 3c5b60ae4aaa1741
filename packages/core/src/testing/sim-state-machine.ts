import type { Command, SnapshotFileStream, StateMachine, StateMachineSnapshot } from "../contracts/index.js";
import { Index, RaftError, type SnapshotMeta } from "../engine/index.js";

/**
 * The simulator's state machine: an append-only register of command strings.
 * Its result for a command is the index it applied at; `appliedIndex` is the
 * version a read observes. Snapshots are one file of newline-separated values
 * streamed in small chunks, so transfers span many chunks.
 */
export class SimStateMachine implements StateMachine<Index> {
  values: string[] = [];
  appliedIndex = Index.zero;
  /** Commands restored from snapshots rather than applied one by one. */
  restoredValues = 0;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly onApply: (c: Command, value: string) => void = () => {},
    private readonly chunkBytes = 64,
  ) {}

  apply(commands: readonly Command[]): Index[] {
    return commands.map((c) => {
      if (c.index <= this.appliedIndex) {
        throw new RaftError("Corrupt", `command at ${c.index} applied after ${this.appliedIndex}`);
      }
      const value = this.decoder.decode(c.data);
      this.appliedIndex = c.index;
      this.values.push(value);
      this.onApply(c, value);
      return c.index;
    });
  }

  snapshot(): StateMachineSnapshot {
    // The array only grows: a copy of its current contents is a frozen view.
    const bytes = new TextEncoder().encode(JSON.stringify({ appliedIndex: this.appliedIndex, values: this.values.slice() }));
    const size = this.chunkBytes;
    return {
      files: [
        {
          name: "values.json",
          async *chunks() {
            for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
          },
        },
      ],
    };
  }

  async restore(_meta: SnapshotMeta, files: SnapshotFileStream): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const file of files) for await (const chunk of file.chunks) parts.push(chunk);
    const state = JSON.parse(this.decoder.decode(Buffer.concat(parts))) as { appliedIndex: Index; values: string[] };
    this.values = state.values;
    this.appliedIndex = state.appliedIndex;
    this.restoredValues = state.values.length;
  }
}
