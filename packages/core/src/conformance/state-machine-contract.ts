import { describe, expect, it } from "vitest";
import type { Command, StateMachine } from "../contracts/index.js";
import { Index, Prng, Term } from "../engine/index.js";

export interface StateMachineHarness<Result> {
  /** A fresh, empty state machine. */
  create(): StateMachine<Result> | Promise<StateMachine<Result>>;
  /** A random valid command (the i-th of a run). Mix in commands the state machine rejects, if it has any. */
  command(prng: Prng, i: number): Uint8Array;
  /** A digest of the whole state: equal digests mean equal states. */
  fingerprint(sm: StateMachine<Result>): string | Promise<string>;
}

function commands(h: StateMachineHarness<unknown>, seed: number, n: number): Command[] {
  const prng = new Prng(seed);
  return Array.from({ length: n }, (_, i) => ({ index: Index.of(i + 1), term: Term.of(1), data: h.command(prng, i) }));
}

/**
 * The `StateMachine` port's contract, as vitest tests: one result per
 * command, determinism, and independence from how commands are batched
 * (different nodes receive different Ready batches).
 */
export function runStateMachineContract<Result>(name: string, harness: StateMachineHarness<Result>): void {
  const h = harness as StateMachineHarness<unknown>;
  describe(`StateMachine contract: ${name}`, () => {
    it("returns one result per command", async () => {
      const sm = await h.create();
      const cmds = commands(h, 1, 50);
      expect((await sm.apply(cmds)).length).toBe(50);
      expect((await sm.apply([])).length).toBe(0);
    });

    it("is deterministic: the same commands give the same results and state", async () => {
      for (const seed of [1, 2, 3]) {
        const cmds = commands(h, seed, 200);
        const a = await h.create();
        const b = await h.create();
        expect(await a.apply(cmds)).toEqual(await b.apply(cmds));
        expect(await h.fingerprint(a)).toBe(await h.fingerprint(b));
      }
    });

    it("does not depend on how commands are batched", async () => {
      const cmds = commands(h, 7, 200);
      const whole = await h.create();
      const wholeResults = await whole.apply(cmds);
      const pieces = await h.create();
      const prng = new Prng(99);
      const pieceResults: unknown[] = [];
      for (let i = 0; i < cmds.length;) {
        const n = prng.int(1, 17);
        pieceResults.push(...(await pieces.apply(cmds.slice(i, i + n))));
        i += n;
      }
      expect(pieceResults).toEqual(wholeResults);
      expect(await h.fingerprint(pieces)).toBe(await h.fingerprint(whole));
    });

    it("changes state as commands apply", async () => {
      const sm = await h.create();
      const empty = await h.fingerprint(sm);
      await sm.apply(commands(h, 11, 100));
      expect(await h.fingerprint(sm)).not.toBe(empty);
    });
  });
}
