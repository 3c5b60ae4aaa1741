import { afterEach, expect, it, vi } from "vitest";
import { RateLimitedLog, type Logger } from "../../../src/contracts/index.js";

class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  debug = (message: string, fields: Record<string, unknown> = {}) => void this.lines.push({ level: "debug", message, fields });
  info = (message: string, fields: Record<string, unknown> = {}) => void this.lines.push({ level: "info", message, fields });
  warn = (message: string, fields: Record<string, unknown> = {}) => void this.lines.push({ level: "warn", message, fields });
  error = (message: string, fields: Record<string, unknown> = {}) => void this.lines.push({ level: "error", message, fields });
  withReason(reason: string) {
    return this.lines.filter((l) => l.fields.reason === reason);
  }
}

afterEach(() => {
  vi.useRealTimers();
});

it("logs a reason at most once per interval, and reports the lines it left out", () => {
  vi.useFakeTimers();
  let now = 0;
  const logger = new RecordingLogger();
  const log = new RateLimitedLog<"a" | "b">(
    logger,
    () => ({ message: "rejected", level: "warn" }),
    1000,
    () => now,
  );
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
  expect(logger.withReason("a").map((l) => [l.fields.suppressed, l.fields.total, l.fields.summary])).toEqual([
    [0, 1, undefined],
    [100, 101, true],
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
  const log = new RateLimitedLog<"a">(
    logger,
    () => ({ message: "x", level: "info" }),
    1000,
    () => 0,
  );
  log.record("a");
  log.record("a");
  log.close();
  log.record("a");
  vi.advanceTimersByTime(5000);
  expect(logger.lines).toHaveLength(1);
  expect(log.counts()).toEqual({ a: 3 });
});
