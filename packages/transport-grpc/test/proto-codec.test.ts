import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { FrameSchema, SnapshotChunkSchema } from "../src/gen/raft_transport_pb.js";
import {
  decodeFrame,
  decodeMessagesSummary,
  decodeSnapshotChunk,
  decodeSnapshotRequest,
  encodeFrame,
  encodeMessagesSummary,
  encodeSnapshotChunk,
  encodeSnapshotRequest,
} from "../src/service-definition.js";

const pkg = fileURLToPath(new URL("..", import.meta.url));

describe("the code generated from proto/raft_transport.proto", () => {
  it("is what `pnpm generate` (buf + protoc-gen-es) writes today", () => {
    const out = mkdtempSync(join(tmpdir(), "raft-proto-"));
    try {
      execFileSync(join(pkg, "node_modules/.bin/buf"), ["generate", "-o", out], { cwd: pkg, env: { ...process.env, PATH: `${join(pkg, "node_modules/.bin")}:${process.env.PATH ?? ""}` } });
      const fresh = readFileSync(join(out, "src/gen/raft_transport_pb.ts"), "utf8");
      expect(fresh, "src/gen is out of date: run pnpm --filter @raft/transport-grpc generate").toBe(readFileSync(join(pkg, "src/gen/raft_transport_pb.ts"), "utf8"));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 30_000);

  it("writes the bytes the hand-written encoder of the previous version wrote (tag = field number << 3 | wire type)", () => {
    // id=1 (len) "a", file=2 (len) "b", offset=3 (varint) 300, chunk_size=4 (varint) 1
    expect([...encodeSnapshotRequest({ id: "a", file: "b", offset: 300, chunkSize: 1 })]).toEqual([0x0a, 1, 0x61, 0x12, 1, 0x62, 0x18, 0xac, 0x02, 0x20, 1]);
    expect([...encodeFrame(Uint8Array.of(1, 2, 3))]).toEqual([0x0a, 3, 1, 2, 3]);
    expect([...encodeSnapshotChunk(Uint8Array.of(9))]).toEqual([0x0a, 1, 9]);
    expect([...encodeMessagesSummary({ acceptedFrames: 2, rejectedFrames: 130 })]).toEqual([0x08, 2, 0x10, 0x82, 0x01]);
    // proto3 leaves zero values and empty bytes out
    expect([...encodeMessagesSummary({ acceptedFrames: 0, rejectedFrames: 0 })]).toEqual([]);
    expect([...encodeFrame(new Uint8Array(0))]).toEqual([]);
  });

  it("writes frames and chunks (encoded on the hot path without toBinary) exactly as toBinary does", () => {
    for (const n of [0, 1, 127, 128, 16_383, 16_384, 70_000, 1 << 21]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256);
      expect(Buffer.from(encodeFrame(data)).equals(Buffer.from(toBinary(FrameSchema, create(FrameSchema, { messages: data }))))).toBe(true);
      expect(Buffer.from(encodeSnapshotChunk(data)).equals(Buffer.from(toBinary(SnapshotChunkSchema, create(SnapshotChunkSchema, { data }))))).toBe(true);
    }
  });

  it("writes a chunk into a reused buffer when it fits, and into a new one when it does not", () => {
    const target = Buffer.alloc(1000, 0xee);
    const data = Uint8Array.from({ length: 900 }, (_, i) => i % 256);
    const into = encodeSnapshotChunk(data, target);
    expect(into.buffer).toBe(target.buffer);
    expect(Buffer.from(into).equals(Buffer.from(toBinary(SnapshotChunkSchema, create(SnapshotChunkSchema, { data }))))).toBe(true);
    // The head of a 128–16383-byte field is 3 bytes: 997 bytes fill the target exactly, 998 do not fit.
    expect(encodeSnapshotChunk(new Uint8Array(997), target).buffer).toBe(target.buffer);
    const fresh = encodeSnapshotChunk(new Uint8Array(998), target);
    expect(fresh.buffer).not.toBe(target.buffer);
    expect(fresh.length).toBe(1001);
  });
});

describe("decoding", () => {
  it("reads back what it writes, large values included, byte fields as views of the message", () => {
    const request = { id: "0000000000000010-0000000000000002-ab", file: "state", offset: Number.MAX_SAFE_INTEGER, chunkSize: 0xffff_ffff };
    expect(decodeSnapshotRequest(encodeSnapshotRequest(request))).toEqual({ ok: true, value: request });
    const data = Uint8Array.from({ length: 70_000 }, (_, i) => i % 251);
    const wire = encodeFrame(data);
    const frame = decodeFrame(wire);
    expect(frame.ok && Buffer.from(frame.value).equals(Buffer.from(data))).toBe(true);
    // zero-copy: the decoded bytes share the received message's memory
    expect(frame.ok && frame.value.buffer).toBe(wire.buffer);
    const chunk = decodeSnapshotChunk(encodeSnapshotChunk(data));
    expect(chunk.ok && chunk.value.length).toBe(70_000);
    expect(decodeMessagesSummary(encodeMessagesSummary({ acceptedFrames: 5, rejectedFrames: 1 }))).toEqual({ ok: true, value: { acceptedFrames: 5, rejectedFrames: 1 } });
  });

  it("skips fields it does not know, as proto3 requires", () => {
    // field 7 varint, field 8 fixed64, field 9 bytes, field 10 fixed32, then messages=1
    const bytes = Buffer.from([0x38, 0x96, 0x01, 0x41, 1, 2, 3, 4, 5, 6, 7, 8, 0x4a, 2, 0xff, 0xff, 0x55, 1, 2, 3, 4, 0x0a, 1, 7]);
    expect(decodeFrame(bytes)).toEqual({ ok: true, value: Uint8Array.of(7) });
  });

  it("refuses malformed bytes with a reason, never a throw", () => {
    const cases: [string, number[], "frame" | "request"][] = [
      ["truncated length", [0x0a, 5, 1, 2], "frame"],
      ["truncated varint", [0x18, 0x80], "request"],
      ["wrong wire type", [0x08, 1], "frame"],
      ["field number 0", [0x02, 0], "request"],
      ["varint past 2^53", [0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], "request"],
      ["varint over 10 bytes", [0x18, ...Array(10).fill(0xff), 1], "request"],
      ["not UTF-8", [0x0a, 2, 0xc3, 0x28], "request"],
    ];
    for (const [what, bytes, kind] of cases) {
      const decoded = kind === "frame" ? decodeFrame(Buffer.from(bytes)) : decodeSnapshotRequest(Buffer.from(bytes));
      expect(decoded.ok, what).toBe(false);
      expect(decoded.ok ? "" : decoded.reason, what).toMatch(/^malformed raft\.transport\.v1\.|^malformed /);
    }
  });
});
