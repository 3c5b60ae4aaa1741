import { describe, expect, it } from "vitest";
import { TransportLifecycle, usableAddresses, type Logger, type TransportHandlers } from "../../../src/contracts/index.js";

const handlers: TransportHandlers = { onMessage: () => {}, onSnapshotRequest: () => (async function* () {})() };

describe("TransportLifecycle", () => {
  it("hands out the handlers only while started, starts once, and never again after close", () => {
    const l = new TransportLifecycle();
    expect(l.handlers).toBeUndefined();
    l.start(handlers);
    expect(l.handlers).toBe(handlers);
    expect(() => l.start(handlers)).toThrow(expect.objectContaining({ code: "InvalidConfig" }));
    expect(l.close()).toBe(true);
    expect(l.close()).toBe(false);
    expect(l.closed).toBe(true);
    expect(l.handlers).toBeUndefined();
    expect(() => l.start(handlers)).toThrow(expect.objectContaining({ code: "Stopped" }));
  });
});

describe("usableAddresses", () => {
  it("keeps valid members other than this node, and logs the rest instead of throwing", () => {
    const warned: unknown[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (_m, f) => void warned.push(f) };
    const book = new Map<number, string>([
      [1, "127.0.0.1:7001"],
      [2, "127.0.0.1:7002"],
      [3, "nope"],
      [0, "127.0.0.1:7000"],
    ]);
    expect([...usableAddresses(book, 1, logger, "test")]).toEqual([[2, "127.0.0.1:7002"]]);
    expect(warned).toEqual([
      { peer: 3, address: "nope" },
      { peer: 0, address: "127.0.0.1:7000" },
    ]);
  });
});
