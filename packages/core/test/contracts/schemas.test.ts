import { describe, expect, it } from "vitest";
import { parseMessage } from "../../src/contracts/index.js";

const append = { type: "Append", from: 1, to: 2, term: 2, prevIndex: 4, prevTerm: 1, commit: 3, entries: [{ index: 5, term: 2, kind: "normal", data: new Uint8Array([1]) }] };

describe("message schema", () => {
  it("accepts a well-formed message", () => {
    expect(parseMessage(append)).toEqual(append);
  });

  it.each([
    ["an unknown type", { ...append, type: "Nope" }],
    ["a negative term", { ...append, term: -1 }],
    ["a fractional index", { ...append, prevIndex: 1.5 }],
    ["node id 0", { ...append, from: 0 }],
    ["an unsafe integer", { ...append, commit: 2 ** 60 }],
    ["entries that skip an index", { ...append, entries: [{ index: 7, term: 2, kind: "normal", data: new Uint8Array() }] }],
    ["an entry from a future term", { ...append, entries: [{ index: 5, term: 9, kind: "normal", data: new Uint8Array() }] }],
    ["a string payload", { ...append, entries: [{ index: 5, term: 2, kind: "normal", data: "x" }] }],
    ["a missing field", { type: "Heartbeat", from: 1, to: 2, term: 1 }],
    ["not an object", "Append"],
  ])("rejects %s with a typed InvalidMessage error", (_, value) => {
    expect(() => parseMessage(value)).toThrowError(expect.objectContaining({ code: "InvalidMessage" }));
  });
});
