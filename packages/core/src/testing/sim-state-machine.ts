import type { Command, StateMachine } from "../contracts/index.js";
import { RaftError, type Index } from "../engine/index.js";

/**
 * The simulator's state machine: an append-only register of command strings.
 * Its result for a command is the index it applied at; `appliedIndex` is the
 * version a read observes.
 */
export class SimStateMachine implements StateMachine<Index> {
  readonly values: string[] = [];
  appliedIndex: Index = 0;
  private readonly decoder = new TextDecoder();

  constructor(private readonly onApply: (c: Command, value: string) => void = () => {}) {}

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
}
