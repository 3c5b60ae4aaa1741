import { Backoff, parseOptions, RECONNECT_DEFAULTS, reconnectSchema } from "../../../src/contracts/index.js";
import { expect, it } from "vitest";

// The backoff every network transport uses, and its `reconnect` option.

it("doubles the delay from min to a low cap, jittered over the upper half, never below min, and starts over after reset", () => {
  const low = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0 });
  expect(Array.from({ length: 6 }, () => low.next())).toEqual([100, 100, 200, 400, 500, 500]);
  const high = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.999_999 });
  expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  expect(high.attempts).toBe(6);
  high.reset();
  expect(high.attempts).toBe(0);
  expect(high.next()).toBe(100);
});

it("caps at 500 ms by default, so a healed link is dialed again within half a second", () => {
  expect(RECONNECT_DEFAULTS).toEqual({ minDelayMs: 100, maxDelayMs: 500 });
  const b = new Backoff({ random: () => 0.999_999 });
  const delays = Array.from({ length: 40 }, () => b.next());
  expect(Math.max(...delays)).toBe(500);
  expect(delays.slice(0, 4)).toEqual([100, 200, 400, 500]);
  expect(new Backoff({ minMs: 2000 }).maxMs).toBe(2000);
});

it("spreads peers that fail at the same instant", () => {
  const delays = new Set(
    Array.from({ length: 50 }, () => {
      const b = new Backoff({ minMs: 100, maxMs: 5000 });
      for (let i = 0; i < 5; i++) b.next();
      return b.next();
    }),
  );
  expect(delays.size).toBeGreaterThan(10);
  for (const d of delays) expect(d).toBeGreaterThanOrEqual(1600);
});

it("parses the reconnect option with the transports' shared defaults and limits", () => {
  const parse = (v: unknown) => parseOptions(reconnectSchema, v, "reconnect");
  expect(parse({})).toEqual({ minDelayMs: 100, maxDelayMs: 500 });
  expect(parse({ minDelayMs: 20 })).toEqual({ minDelayMs: 20, maxDelayMs: 500 });
  expect(parse({ minDelayMs: 800 })).toEqual({ minDelayMs: 800, maxDelayMs: 800 });
  expect(parse({ minDelayMs: 60_000, maxDelayMs: 600_000 })).toEqual({ minDelayMs: 60_000, maxDelayMs: 600_000 });
  expect(() => parse({ minDelayMs: 500, maxDelayMs: 100 })).toThrow("maxDelayMs: must be at least minDelayMs (500)");
  expect(() => parse({ minDelayMs: 0 })).toThrow("minDelayMs: Too small");
  expect(() => parse({ maxDelayMs: 600_001 })).toThrow("maxDelayMs: Too big");
  expect(() => parse({ minDelayMs: 1.5 })).toThrow("minDelayMs");
  expect(() => parse(5)).toThrow(/InvalidConfig|invalid reconnect/);
});
