import { describe, expect, it } from "vitest";
import { cancelFrame, chunkFrame, creditFrame, decodeFrame, endFrame, ENVELOPE_VERSION, errorFrame, messagesFrame, requestFrame } from "../src/envelope.js";
import { Rejection } from "../src/rejection.js";
import { NodeId, Term } from "@raft/core/contracts";

const reasonOf = (bytes: Uint8Array) => {
  try {
    decodeFrame(bytes);
    return "accepted";
  } catch (e) {
    return e instanceof Rejection ? e.reason : `threw ${String(e)}`;
  }
};

describe("envelope", () => {
  it("round-trips every frame kind", () => {
    const request = { id: "0000000000000010-2-abababababababab", file: "state", offset: 12345678901, chunkSize: 1 << 20 };
    expect(decodeFrame(requestFrame(7, 8, 65_000, request))).toEqual({ kind: "snapshot-request", stream: 7, credit: 8, maxChunkBytes: 65_000, request });
    expect(decodeFrame(creditFrame(300, 4))).toEqual({ kind: "snapshot-credit", stream: 300, credit: 4 });
    expect(decodeFrame(cancelFrame(2 ** 40))).toEqual({ kind: "snapshot-cancel", stream: 2 ** 40 });
    expect(decodeFrame(endFrame(1))).toEqual({ kind: "snapshot-end", stream: 1 });
    expect(decodeFrame(errorFrame(3, "NotFound", "no snapshot é"))).toEqual({ kind: "snapshot-error", stream: 3, code: "NotFound", message: "no snapshot é" });
    const data = Uint8Array.from({ length: 5000 }, (_, i) => i % 256);
    const chunk = decodeFrame(chunkFrame(9, data));
    expect(chunk.kind === "snapshot-chunk" && Buffer.from(chunk.data).equals(Buffer.from(data))).toBe(true);
    const messages = decodeFrame(messagesFrame([{ type: "TimeoutNow", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(3) }]));
    expect(messages.kind).toBe("messages");
  });

  it("starts with its version and kind", () => {
    expect([...endFrame(1)]).toEqual([ENVELOPE_VERSION, 6, 1]);
  });

  it("copies a chunk, so the server may reuse its buffer", () => {
    const data = new Uint8Array([1, 2, 3]);
    const frame = chunkFrame(1, data);
    data.fill(0);
    expect([...frame.subarray(-3)]).toEqual([1, 2, 3]);
  });

  it("truncates long error messages to the limit", () => {
    const f = decodeFrame(errorFrame(1, "Corrupt", "x".repeat(10_000)));
    expect(f.kind === "snapshot-error" && f.message.length).toBeLessThanOrEqual(1024);
  });

  it("rejects, naming the reason: versions, kinds, truncation, trailing bytes, stream 0, bad strings", () => {
    expect(reasonOf(new Uint8Array([]))).toBe("malformed-frame");
    expect(reasonOf(new Uint8Array([2, 1]))).toBe("envelope-version");
    expect(reasonOf(new Uint8Array([1]))).toBe("malformed-frame");
    expect(reasonOf(new Uint8Array([1, 0]))).toBe("frame-kind");
    expect(reasonOf(new Uint8Array([1, 8, 1]))).toBe("frame-kind");
    expect(reasonOf(new Uint8Array([1, 6, 0]))).toBe("malformed-frame"); // stream 0
    expect(reasonOf(new Uint8Array([1, 6, 1, 0]))).toBe("malformed-frame"); // trailing
    expect(reasonOf(new Uint8Array([1, 6, 0x81, 0]))).toBe("malformed-frame"); // non-minimal varint
    expect(reasonOf(new Uint8Array([1, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe("malformed-frame"); // not a safe integer
    expect(reasonOf(new Uint8Array([1, 7, 1, 5, 65]))).toBe("malformed-frame"); // string longer than the frame
    expect(reasonOf(new Uint8Array([1, 7, 1, 1, 0xff, 0]))).toBe("malformed-frame"); // not UTF-8
    expect(reasonOf(new Uint8Array([1, 7, 1, 0x80, 0x08, ...new Uint8Array(1024)]))).toBe("malformed-frame"); // code over 64 bytes
    const request = requestFrame(1, 1, 1024, { id: "x", file: "y", offset: 0, chunkSize: 1 });
    for (let cut = 0; cut < request.length; cut++) expect(reasonOf(request.subarray(0, cut))).not.toBe("accepted");
    // The messages body is left to decodeMessages: the envelope accepts any bytes there.
    expect(reasonOf(new Uint8Array([1, 1, 0xde, 0xad]))).toBe("accepted");
  });
});
