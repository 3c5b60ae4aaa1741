import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { protoFile } from "../src/index.js";
import {
  decodeFrame,
  decodeMessagesSummary,
  decodeSnapshotChunk,
  decodeSnapshotRequest,
  encodeFrame,
  encodeMessagesSummary,
  encodeSnapshotChunk,
  encodeSnapshotRequest,
  PROTO_FIELDS,
} from "../src/proto-messages.js";

/** Message name → field name → { number, type }, read from the .proto text. */
function parseProto(text: string): Record<string, Record<string, { number: number; type: string }>> {
  const out: Record<string, Record<string, { number: number; type: string }>> = {};
  const withoutComments = text.replace(/\/\/.*$/gm, "");
  for (const m of withoutComments.matchAll(/message\s+(\w+)\s*\{([^}]*)\}/g)) {
    const fields: Record<string, { number: number; type: string }> = {};
    for (const f of (m[2] as string).matchAll(/^\s*(\w+)\s+(\w+)\s*=\s*(\d+)\s*;/gm)) fields[f[2] as string] = { type: f[1] as string, number: Number(f[3]) };
    out[m[1] as string] = fields;
  }
  return out;
}

describe("the encoding follows proto/raft_transport.proto", () => {
  const proto = readFileSync(fileURLToPath(protoFile), "utf8");

  it("has exactly the messages, field names, numbers and types of the .proto", () => {
    expect(parseProto(proto)).toEqual(PROTO_FIELDS);
  });

  it("declares the two methods the service definition serves", () => {
    expect(proto).toMatch(/package raft\.transport\.v1;/);
    expect(proto).toMatch(/rpc Messages\(stream Frame\) returns \(MessagesSummary\);/);
    expect(proto).toMatch(/rpc FetchSnapshot\(SnapshotRequest\) returns \(stream SnapshotChunk\);/);
  });

  it("writes the bytes protoc would (tag = field number << 3 | wire type)", () => {
    // id=1 (len) "a", file=2 (len) "b", offset=3 (varint) 300, chunk_size=4 (varint) 1
    expect([...encodeSnapshotRequest({ id: "a", file: "b", offset: 300, chunkSize: 1 })]).toEqual([0x0a, 1, 0x61, 0x12, 1, 0x62, 0x18, 0xac, 0x02, 0x20, 1]);
    expect([...encodeFrame(Uint8Array.of(1, 2, 3))]).toEqual([0x0a, 3, 1, 2, 3]);
    expect([...encodeSnapshotChunk(Uint8Array.of(9))]).toEqual([0x0a, 1, 9]);
    expect([...encodeMessagesSummary({ acceptedFrames: 2, rejectedFrames: 130 })]).toEqual([0x08, 2, 0x10, 0x82, 0x01]);
    // proto3 leaves zero values and empty bytes out
    expect([...encodeMessagesSummary({ acceptedFrames: 0, rejectedFrames: 0 })]).toEqual([]);
    expect([...encodeFrame(new Uint8Array(0))]).toEqual([]);
  });
});

describe("decoding", () => {
  it("reads back what it writes, large values included", () => {
    const request = { id: "0000000000000010-0000000000000002-ab", file: "state", offset: Number.MAX_SAFE_INTEGER, chunkSize: 0xffff_ffff };
    expect(decodeSnapshotRequest(encodeSnapshotRequest(request))).toEqual({ ok: true, value: request });
    const data = Uint8Array.from({ length: 70_000 }, (_, i) => i % 251);
    const frame = decodeFrame(encodeFrame(data));
    expect(frame.ok && Buffer.from(frame.value.messages).equals(Buffer.from(data))).toBe(true);
    const chunk = decodeSnapshotChunk(encodeSnapshotChunk(data));
    expect(chunk.ok && chunk.value.constructor).toBe(Uint8Array);
    expect(decodeMessagesSummary(encodeMessagesSummary({ acceptedFrames: 5, rejectedFrames: 1 }))).toEqual({ ok: true, value: { acceptedFrames: 5, rejectedFrames: 1 } });
  });

  it("skips fields it does not know, as proto3 requires", () => {
    // field 7 varint, field 8 fixed64, field 9 bytes, field 10 fixed32, then messages=1
    const bytes = Buffer.from([0x38, 0x96, 0x01, 0x41, 1, 2, 3, 4, 5, 6, 7, 8, 0x4a, 2, 0xff, 0xff, 0x55, 1, 2, 3, 4, 0x0a, 1, 7]);
    expect(decodeFrame(bytes)).toEqual({ ok: true, value: { messages: Uint8Array.of(7) } });
  });

  it("refuses malformed bytes with a reason, never a throw", () => {
    const cases: [string, number[], RegExp][] = [
      ["truncated length", [0x0a, 5, 1, 2], /length 5 exceeds/],
      ["truncated varint", [0x18, 0x80], /truncated varint/],
      ["wrong wire type", [0x08, 1], /wire type 0, expected 2/],
      ["field number 0", [0x02, 0], /field number 0/],
      ["group wire type", [0x3b], /unsupported wire type 3/],
      ["varint past 2^53", [0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], /not a safe integer/],
      ["varint over 10 bytes", [0x18, ...Array(10).fill(0xff), 1], /longer than 10 bytes/],
    ];
    for (const [what, bytes, reason] of cases) {
      const decoded = what === "wrong wire type" || what === "truncated length" ? decodeFrame(Buffer.from(bytes)) : decodeSnapshotRequest(Buffer.from(bytes));
      expect(decoded.ok, what).toBe(false);
      expect(decoded.ok ? "" : decoded.reason, what).toMatch(reason);
    }
    expect(decodeSnapshotRequest(Buffer.from([0x20, 0x80, 0x80, 0x80, 0x80, 0x10]))).toMatchObject({ ok: false, reason: /does not fit in uint32/ });
    expect(decodeSnapshotRequest(Buffer.from([0x0a, 2, 0xc3, 0x28]))).toMatchObject({ ok: false, reason: /not UTF-8/ });
  });
});
