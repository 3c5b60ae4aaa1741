import type { Command, SnapshotFileStream, StateMachine, StateMachineSnapshot } from "@raft/core/contracts";

/** A tiny replicated map: commands are `key=value`; the result says what changed. */
export class KeyValueMachine implements StateMachine<string> {
  private readonly map = new Map<string, string>();
  private readonly decoder = new TextDecoder();

  apply(commands: readonly Command[]): string[] {
    return commands.map((c) => {
      const text = this.decoder.decode(c.data);
      const eq = text.indexOf("=");
      if (eq <= 0) return `rejected "${text}": expected key=value`;
      const key = text.slice(0, eq);
      const before = this.map.get(key);
      this.map.set(key, text.slice(eq + 1));
      return `${key}: ${before ?? "(unset)"} → ${text.slice(eq + 1)} at index ${c.index}`;
    });
  }

  /** One JSON file; the copy taken now is the frozen view later applies cannot touch. */
  snapshot(): StateMachineSnapshot {
    const bytes = new TextEncoder().encode(JSON.stringify([...this.map]));
    return {
      files: [
        {
          name: "map.json",
          chunks: async function* () {
            yield bytes;
          },
        },
      ],
    };
  }

  async restore(_meta: unknown, files: SnapshotFileStream): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const file of files) for await (const chunk of file.chunks) parts.push(chunk);
    this.map.clear();
    for (const [k, v] of JSON.parse(this.decoder.decode(Buffer.concat(parts))) as [string, string][]) this.map.set(k, v);
  }

  snapshotView(): Record<string, string> {
    return Object.fromEntries([...this.map].sort());
  }
}
