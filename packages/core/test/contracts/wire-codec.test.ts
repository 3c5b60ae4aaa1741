import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeMessages, encodeMessages, isRaftError, manifestDigest, parseMessage, snapshotId, WIRE_VERSION } from "../../src/contracts/index.js";
import { Index, NodeId, Prng, Term, type Message, type SnapshotMeta } from "../../src/engine/index.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

function snapshotMeta(): SnapshotMeta {
  const files = [
    { name: "state", size: 10, sha256: sha("a") },
    { name: "sessions.bin", size: 5, sha256: sha("b") },
  ];
  const digest = manifestDigest(files);
  return {
    id: snapshotId(40, 3, digest),
    index: Index.of(40),
    term: Term.of(3),
    membership: {
      voters: [NodeId.of(1), NodeId.of(2), NodeId.of(3)],
      learners: [NodeId.of(4)],
      outgoing: [NodeId.of(1), NodeId.of(2), NodeId.of(5)],
      addresses: { "1": "127.0.0.1:7001", "4": "node-4.local:7004" },
    },
    files,
    size: 15,
    sha256: digest,
    createdAt: 1_763_769_600_000,
  };
}

/** One message of every type, with values that exercise multi-byte varints. */
const everyType: Message[] = [
  { type: "PreVote", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(7), lastIndex: Index.of(300), lastTerm: Term.of(6), transfer: false },
  { type: "Vote", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(7), lastIndex: Index.of(Number.MAX_SAFE_INTEGER), lastTerm: Term.of(6), transfer: true },
  { type: "PreVoteResp", from: NodeId.of(2), to: NodeId.of(1), term: Term.of(7), reject: true },
  { type: "VoteResp", from: NodeId.of(2), to: NodeId.of(1), term: Term.of(7), reject: false },
  {
    type: "Append",
    from: NodeId.of(1),
    to: NodeId.of(3),
    term: Term.of(9),
    prevIndex: Index.of(127),
    prevTerm: Term.of(8),
    commit: Index.of(126),
    entries: [
      { index: Index.of(128), term: Term.of(8), kind: "normal", data: bytes("x".repeat(300)) },
      { index: Index.of(129), term: Term.of(9), kind: "noop", data: new Uint8Array() },
      { index: Index.of(130), term: Term.of(9), kind: "config", data: bytes('{"voters":[1,2,3]}') },
    ],
  },
  { type: "Append", from: NodeId.of(1), to: NodeId.of(3), term: Term.of(9), prevIndex: Index.zero, prevTerm: Term.zero, commit: Index.zero, entries: [] },
  { type: "AppendResp", from: NodeId.of(3), to: NodeId.of(1), term: Term.of(9), reject: true, index: Index.of(130), hintIndex: Index.of(100), hintTerm: Term.of(4) },
  { type: "Heartbeat", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(9), commit: Index.of(128), round: 16_384 },
  { type: "HeartbeatResp", from: NodeId.of(2), to: NodeId.of(1), term: Term.of(9), round: 16_384 },
  { type: "ReadIndex", from: NodeId.of(2), to: NodeId.of(1), term: Term.of(9), id: 5 },
  { type: "ReadIndexResp", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(9), id: 5, index: Index.of(130), reject: false },
  { type: "TimeoutNow", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(9) },
  { type: "InstallSnapshot", from: NodeId.of(1), to: NodeId.of(4), term: Term.of(9), snapshot: snapshotMeta(), source: { kind: "peer" } },
  {
    type: "InstallSnapshot",
    from: NodeId.of(1),
    to: NodeId.of(4),
    term: Term.of(9),
    snapshot: snapshotMeta(),
    source: { kind: "url", url: "https://bucket.example/snap" },
    inline: [{ name: "state", data: bytes("0123456789") }],
  },
  { type: "InstallSnapshotResp", from: NodeId.of(4), to: NodeId.of(1), term: Term.of(9), index: Index.of(40), reject: false },
];

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
    return "no error";
  } catch (e) {
    return isRaftError(e) ? e.code : e;
  }
}

describe("binary message codec", () => {
  it("round-trips every message type, one per frame and all in one frame", () => {
    for (const m of everyType) expect(decodeMessages(encodeMessages([m]))).toEqual([m]);
    expect(decodeMessages(encodeMessages(everyType))).toEqual(everyType);
    expect(decodeMessages(encodeMessages([]))).toEqual([]);
  });

  it("starts every frame with its version and refuses other versions", () => {
    const frame = encodeMessages([everyType[0] as Message]);
    expect(frame[0]).toBe(WIRE_VERSION);
    const future = frame.slice();
    future[0] = WIRE_VERSION + 1;
    expect(() => decodeMessages(future)).toThrowError(/unsupported wire version 2/);
  });

  it("refuses every truncation of a valid frame and trailing bytes", () => {
    const frame = encodeMessages(everyType);
    for (let n = 0; n < frame.length; n++) expect(codeOf(() => decodeMessages(frame.subarray(0, n)))).toBe("InvalidMessage");
    const longer = new Uint8Array(frame.length + 1);
    longer.set(frame);
    expect(() => decodeMessages(longer)).toThrowError(/trailing bytes/);
  });

  it("refuses well-formed encodings of invalid messages", () => {
    const cases: [string, unknown][] = [
      ["node id 0", { type: "TimeoutNow", from: 0, to: 2, term: 1 }],
      ["an entry term below prevTerm", { type: "Append", from: 1, to: 2, term: 2, prevIndex: 3, prevTerm: 2, commit: 0, entries: [{ index: 4, term: 1, kind: "normal", data: new Uint8Array() }] }],
      [
        "an entry term above the message term",
        { type: "Append", from: 1, to: 2, term: 2, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 1, term: 3, kind: "normal", data: new Uint8Array() }] },
      ],
      ["a manifest whose digest does not match", { ...everyType[12], snapshot: { ...snapshotMeta(), size: 16 } }],
    ];
    for (const [what, message] of cases)
      expect(
        codeOf(() => decodeMessages(encodeMessages([message as Message]))),
        what,
      ).toBe("InvalidMessage");
  });

  it("refuses counts and lengths larger than the frame without allocating for them", () => {
    // version 1, 2^50 messages
    expect(() => decodeMessages(Uint8Array.from([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).toThrowError(/cannot fit/);
    // an Append claiming a 1 GiB entry
    const frame = encodeMessages([
      {
        type: "Append",
        from: NodeId.of(1),
        to: NodeId.of(2),
        term: Term.of(1),
        prevIndex: Index.zero,
        prevTerm: Term.zero,
        commit: Index.zero,
        entries: [{ index: Index.of(1), term: Term.of(1), kind: "normal", data: bytes("abc") }],
      },
    ]);
    const lying = Uint8Array.from([...frame.subarray(0, frame.length - 4), 0x80, 0x80, 0x80, 0x04, ...bytes("abc")]);
    expect(codeOf(() => decodeMessages(lying))).toBe("InvalidMessage");
  });

  it("refuses varints that are not minimal or exceed 2^53", () => {
    expect(() => decodeMessages(Uint8Array.from([1, 0x81, 0x00]))).toThrowError(/non-minimal/);
    expect(() => decodeMessages(Uint8Array.from([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toThrowError(/safe integer/);
  });

  it("answers random and mutated bytes with InvalidMessage only, never another error", () => {
    const prng = new Prng(2026);
    const valid = encodeMessages(everyType);
    for (let i = 0; i < 5_000; i++) {
      let frame: Uint8Array;
      if (i % 2 === 0) {
        frame = new Uint8Array(prng.int(0, 200));
        for (let j = 0; j < frame.length; j++) frame[j] = prng.int(0, 255);
        if (frame.length > 0) frame[0] = WIRE_VERSION;
      } else {
        frame = valid.slice();
        for (let k = prng.int(1, 4); k > 0; k--) frame[prng.int(0, frame.length - 1)] = prng.int(0, 255);
      }
      const outcome = codeOf(() => decodeMessages(frame));
      expect(["InvalidMessage", "no error"]).toContain(outcome);
      // The hand-written checks never let through what the message schema would refuse.
      if (outcome === "no error") for (const m of decodeMessages(frame)) expect(parseMessage(m)).toEqual(m);
    }
  });
});
