import type { Command, SnapshotFileStream, StateMachine, StateMachineSnapshot } from "@raft/core/contracts";

/** The benchmarks' state machine: each command counts one; the result is the count (its snapshot: the count as text). */
export class Counter implements StateMachine<number> {
  count = 0;
  apply(commands: readonly Command[]): number[] {
    const out = new Array<number>(commands.length);
    for (let i = 0; i < commands.length; i++) out[i] = ++this.count;
    return out;
  }

  snapshot(): StateMachineSnapshot {
    const bytes = new TextEncoder().encode(String(this.count));
    return {
      files: [
        {
          name: "count",
          chunks: async function* () {
            yield bytes;
          },
        },
      ],
    };
  }

  async restore(_meta: unknown, files: SnapshotFileStream): Promise<void> {
    for await (const file of files) for await (const chunk of file.chunks) this.count = Number(new TextDecoder().decode(chunk));
  }
}
