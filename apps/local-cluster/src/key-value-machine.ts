import type { Command, StateMachine } from "@raft/core/contracts";

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

  snapshotView(): Record<string, string> {
    return Object.fromEntries([...this.map].sort());
  }
}
