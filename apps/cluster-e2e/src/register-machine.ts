import { createHash } from "node:crypto";
import type { Command, SnapshotFileStream, StateMachine, StateMachineSnapshot } from "@raft/core/contracts";

/**
 * An append-only register of command strings; a command's result is the
 * index it applied at. Its digest lets a test compare nodes' states in one
 * value. Snapshots are newline-separated values in 64 KiB chunks.
 */
export class RegisterMachine implements StateMachine<number> {
  private values: string[] = [];
  appliedIndex = 0;
  private readonly decoder = new TextDecoder();

  get count(): number {
    return this.values.length;
  }

  apply(commands: readonly Command[]): number[] {
    return commands.map((c) => {
      this.values.push(this.decoder.decode(c.data));
      this.appliedIndex = c.index;
      return c.index;
    });
  }

  /** The array only grows, so its length now is a frozen view. */
  snapshot(): StateMachineSnapshot {
    const values = this.values;
    const upTo = values.length;
    const header = `${this.appliedIndex}\n`;
    return {
      files: [
        {
          name: "values",
          async *chunks() {
            let text = header;
            for (let i = 0; i < upTo; i++) {
              text += `${values[i]}\n`;
              if (text.length >= 65_536) {
                yield Buffer.from(text);
                text = "";
              }
            }
            yield Buffer.from(text);
          },
        },
      ],
    };
  }

  async restore(_meta: unknown, files: SnapshotFileStream): Promise<void> {
    let text = "";
    for await (const file of files) for await (const chunk of file.chunks) text += this.decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    lines.pop();
    this.appliedIndex = Number(lines.shift());
    this.values = lines;
  }

  list(): readonly string[] {
    return this.values;
  }

  digest(): string {
    return createHash("sha256").update(this.values.join("\n")).digest("hex");
  }
}
