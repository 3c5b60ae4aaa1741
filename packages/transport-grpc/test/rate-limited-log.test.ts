import { afterEach, expect, it, vi } from "vitest";
import { RateLimitedLog } from "../src/rate-limited-log.js";
import { RecordingLogger } from "./support.js";

afterEach(() => {
  vi.useRealTimers();
});

it("logs a reason at most once per interval, and reports the lines it left out", () => {
  vi.useFakeTimers();
  let now = 0;
  const logger = new RecordingLogger();
  const log = new RateLimitedLog<"a" | "b">(logger, () => "warn", "rejected", 1000, () => now);
  for (let i = 0; i < 100; i++) log.record("a", { i });
  log.record("b");
  expect(logger.lines.map((l) => [l.fields.reason, l.fields.i, l.fields.suppressed, l.fields.total])).toEqual([
    ["a", 0, 0, 1],
    ["b", undefined, 0, 1],
  ]);
  // Within the interval, nothing more; at its end, one summary line for "a".
  now = 999;
  log.record("a");
  expect(logger.lines).toHaveLength(2);
  now = 1000;
  vi.advanceTimersByTime(1000);
  expect(logger.withReason("a").map((l) => [l.fields.suppressed, l.fields.total])).toEqual([
    [0, 1],
    [100, 101],
  ]);
  // The summary used up the interval: the next event waits for the one after.
  log.record("a");
  expect(logger.withReason("a")).toHaveLength(2);
  now = 2000;
  log.record("a");
  expect(logger.withReason("a").at(-1)?.fields).toMatchObject({ suppressed: 1, total: 103 });
  expect(log.counts()).toEqual({ a: 103, b: 1 });
  expect(log.total).toBe(104);
});

it("keeps counting after close, without logging or timers", () => {
  vi.useFakeTimers();
  const logger = new RecordingLogger();
  const log = new RateLimitedLog<"a">(logger, () => "info", "x", 1000, () => 0);
  log.record("a");
  log.record("a");
  log.close();
  log.record("a");
  vi.advanceTimersByTime(5000);
  expect(logger.lines).toHaveLength(1);
  expect(log.counts()).toEqual({ a: 3 });
});
