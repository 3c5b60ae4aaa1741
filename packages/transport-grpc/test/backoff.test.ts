import { Backoff, RECONNECT_DEFAULTS, resolveReconnect } from "@raft/core/contracts";
import { expect, it } from "vitest";

// The backoff is @raft/core's, shared with @raft/transport-ws; these pin what this transport relies on.

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

it("resolves the reconnect option with the transports' shared defaults and limits", () => {
  const bad = (field: string, what: string) => new Error(`${field} must be ${what}`);
  expect(resolveReconnect(undefined, bad)).toEqual({ minMs: 100, maxMs: 500 });
  expect(resolveReconnect({}, bad)).toEqual({ minMs: 100, maxMs: 500 });
  expect(resolveReconnect({ minDelayMs: 20 }, bad)).toEqual({ minMs: 20, maxMs: 500 });
  expect(resolveReconnect({ minDelayMs: 800 }, bad)).toEqual({ minMs: 800, maxMs: 800 });
  expect(resolveReconnect({ minDelayMs: 60_000, maxDelayMs: 600_000 }, bad)).toEqual({ minMs: 60_000, maxMs: 600_000 });
  expect(() => resolveReconnect({ minDelayMs: 500, maxDelayMs: 100 }, bad)).toThrow("reconnect.maxDelayMs must be at least reconnect.minDelayMs (500)");
  expect(() => resolveReconnect({ minDelayMs: 0 }, bad)).toThrow("reconnect.minDelayMs must be an integer in [1, 60000]");
  expect(() => resolveReconnect({ maxDelayMs: 600_001 }, bad)).toThrow("reconnect.maxDelayMs must be an integer in [1, 600000]");
  expect(() => resolveReconnect({ minDelayMs: 1.5 }, bad)).toThrow("reconnect.minDelayMs");
  expect(() => resolveReconnect(5, bad)).toThrow("reconnect must be an object");
});
