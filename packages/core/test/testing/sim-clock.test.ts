import { describe, expect, it } from "vitest";
import { SimClock } from "../../src/testing/index.js";

describe("SimClock", () => {
  it("fires timers in (time, creation) order only when advanced", () => {
    const clock = new SimClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b@10"), 10);
    clock.setTimeout(() => fired.push("a@5"), 5);
    clock.setTimeout(() => fired.push("c@10"), 10);
    expect(fired).toEqual([]);
    clock.advanceTo(9);
    expect(fired).toEqual(["a@5"]);
    clock.advanceTo(10);
    expect(fired).toEqual(["a@5", "b@10", "c@10"]);
    expect(clock.now()).toBe(10);
  });

  it("cancels timers and fires timers created for the same instant", () => {
    const clock = new SimClock();
    const fired: string[] = [];
    const cancel = clock.setTimeout(() => fired.push("cancelled"), 1);
    clock.setTimeout(() => clock.setTimeout(() => fired.push("chained"), 0), 2);
    cancel();
    expect(clock.fireNext()).toBe(true);
    expect(fired).toEqual(["chained"]);
    expect(clock.fireNext()).toBe(false);
  });
});
