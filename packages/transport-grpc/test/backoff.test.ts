import { expect, it } from "vitest";
import { Backoff } from "../src/backoff.js";

it("doubles the delay from min to max, with jitter in the upper half, and starts over after reset", () => {
  const low = new Backoff(100, 1000, () => 0);
  expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
  const high = new Backoff(100, 1000, () => 0.999_999);
  expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  high.reset();
  expect(high.next()).toBe(100);
});

it("spreads peers that fail at the same instant", () => {
  const delays = new Set(Array.from({ length: 50 }, () => new Backoff(100, 5000).next()));
  expect(delays.size).toBeGreaterThan(10);
  for (const d of delays) expect(d).toBeGreaterThanOrEqual(50);
});
