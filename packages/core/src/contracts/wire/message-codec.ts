import { RaftError } from "../../engine/errors.js";
import { Index, NodeId, Term, type Entry, type EntryKind, type InlineFile, type Membership, type Message, type MessageType, type SnapshotMeta } from "../../engine/index.js";
import { parseMessage } from "../schemas.js";
import { BinaryReader } from "./binary-reader.js";
import { BinaryWriter } from "./binary-writer.js";

/**
 * The binary encoding of engine messages that every network transport uses.
 *
 * A batch is `version (u8) · count (varint) · message*`; a message is
 * `type (u8) · from · to · term` followed by its type's fields. Integers are
 * LEB128 varints, byte strings and UTF-8 strings are length-prefixed, SHA-256
 * digests travel as 32 raw bytes. An Append's entries carry no index: they
 * follow `prevIndex` by construction. A decoder refuses a version it does not
 * know, so the format can evolve without old nodes misreading new frames.
 */
export const WIRE_VERSION = 1;

const TYPE_CODES: Record<MessageType, number> = {
  PreVote: 1,
  Vote: 2,
  PreVoteResp: 3,
  VoteResp: 4,
  Append: 5,
  AppendResp: 6,
  Heartbeat: 7,
  HeartbeatResp: 8,
  ReadIndex: 9,
  ReadIndexResp: 10,
  TimeoutNow: 11,
  InstallSnapshot: 12,
  InstallSnapshotResp: 13,
};
const TYPES = new Map(Object.entries(TYPE_CODES).map(([type, code]) => [code, type as MessageType]));
const KINDS: readonly EntryKind[] = ["normal", "noop", "config"];

const MAX_NAME = 255;
const MAX_ID = 1024;
const MAX_URL = 4096;

/** Encodes messages as one frame body. */
export function encodeMessages(messages: readonly Message[]): Uint8Array {
  const w = new BinaryWriter(64 + messages.reduce((n, m) => n + (m.type === "Append" ? m.entries.reduce((b, e) => b + e.data.length + 12, 0) : 0), 0));
  w.u8(WIRE_VERSION);
  w.varint(messages.length);
  for (const m of messages) writeMessage(w, m);
  return w.finish();
}

/**
 * Decodes and validates a frame body from an untrusted peer. Throws
 * `RaftError("InvalidMessage")` naming the first problem: an unknown
 * version or type, truncation, trailing bytes, or a field out of range.
 * Entry payloads are views into `bytes`, not copies.
 */
export function decodeMessages(bytes: Uint8Array): Message[] {
  const r = new BinaryReader(bytes);
  const version = r.u8("version");
  if (version !== WIRE_VERSION) throw new RaftError("InvalidMessage", `unsupported wire version ${version} (this node speaks ${WIRE_VERSION})`);
  const count = r.count("message count", 4);
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) messages.push(readMessage(r));
  r.end("frame");
  return messages;
}

function writeMessage(w: BinaryWriter, m: Message): void {
  w.u8(TYPE_CODES[m.type]);
  w.varint(m.from);
  w.varint(m.to);
  w.varint(m.term);
  switch (m.type) {
    case "PreVote":
    case "Vote":
      w.varint(m.lastIndex);
      w.varint(m.lastTerm);
      w.bool(m.transfer);
      return;
    case "PreVoteResp":
    case "VoteResp":
      w.bool(m.reject);
      return;
    case "Append":
      w.varint(m.prevIndex);
      w.varint(m.prevTerm);
      w.varint(m.commit);
      w.varint(m.entries.length);
      for (const e of m.entries) {
        w.varint(e.term);
        w.u8(KINDS.indexOf(e.kind));
        w.bytes(e.data);
      }
      return;
    case "AppendResp":
      w.bool(m.reject);
      w.varint(m.index);
      w.varint(m.hintIndex);
      w.varint(m.hintTerm);
      return;
    case "Heartbeat":
      w.varint(m.commit);
      w.varint(m.round);
      return;
    case "HeartbeatResp":
      w.varint(m.round);
      return;
    case "ReadIndex":
      w.varint(m.id);
      return;
    case "ReadIndexResp":
      w.varint(m.id);
      w.varint(m.index);
      w.bool(m.reject);
      return;
    case "TimeoutNow":
      return;
    case "InstallSnapshot":
      writeSnapshotMeta(w, m.snapshot);
      if (m.source.kind === "peer") w.u8(0);
      else {
        w.u8(1);
        w.string(m.source.url);
      }
      w.bool(m.inline !== undefined);
      if (m.inline !== undefined) {
        w.varint(m.inline.length);
        for (const f of m.inline) {
          w.string(f.name);
          w.bytes(f.data);
        }
      }
      return;
    case "InstallSnapshotResp":
      w.varint(m.index);
      w.bool(m.reject);
      return;
  }
}

/**
 * Reads one message. The reader already guarantees safe non-negative
 * integers, booleans and known kinds; what remains of `messageSchema` is
 * checked here by hand (node ids, Append entry terms), because zod costs more
 * than the whole decode on the hot path. InstallSnapshot, rare and rich,
 * goes through `parseMessage`.
 */
function readMessage(r: BinaryReader): Message {
  const code = r.u8("message type");
  const type = TYPES.get(code);
  if (type === undefined) throw new RaftError("InvalidMessage", `unknown message type ${code}`);
  const head = { from: nodeId(r, "from"), to: nodeId(r, "to"), term: term(r, "term") };
  switch (type) {
    case "PreVote":
    case "Vote":
      return { type, ...head, lastIndex: index(r, "lastIndex"), lastTerm: term(r, "lastTerm"), transfer: r.bool("transfer") };
    case "PreVoteResp":
    case "VoteResp":
      return { type, ...head, reject: r.bool("reject") };
    case "Append": {
      const prevIndex = index(r, "prevIndex");
      const prevTerm = term(r, "prevTerm");
      const commit = index(r, "commit");
      const n = r.count("entry count", 3);
      const entries: Entry[] = [];
      for (let i = 0; i < n; i++) {
        const entryTerm = term(r, "entry term");
        if (entryTerm < prevTerm || entryTerm > head.term) throw new RaftError("InvalidMessage", `entry term ${entryTerm} outside [prevTerm ${prevTerm}, term ${head.term}]`);
        const kind = KINDS[r.u8("entry kind")];
        if (kind === undefined) throw new RaftError("InvalidMessage", "unknown entry kind");
        entries.push({ index: Index.of(prevIndex + 1 + i), term: entryTerm, kind, data: r.bytes("entry data") });
      }
      return { type, ...head, prevIndex, prevTerm, commit, entries };
    }
    case "AppendResp":
      return { type, ...head, reject: r.bool("reject"), index: index(r, "index"), hintIndex: index(r, "hintIndex"), hintTerm: term(r, "hintTerm") };
    case "Heartbeat":
      return { type, ...head, commit: index(r, "commit"), round: r.varint("round") };
    case "HeartbeatResp":
      return { type, ...head, round: r.varint("round") };
    case "ReadIndex":
      return { type, ...head, id: r.varint("id") };
    case "ReadIndexResp":
      return { type, ...head, id: r.varint("id"), index: index(r, "index"), reject: r.bool("reject") };
    case "TimeoutNow":
      return { type, ...head };
    case "InstallSnapshot": {
      const snapshot = readSnapshotMeta(r);
      const sourceKind = r.u8("source kind");
      if (sourceKind > 1) throw new RaftError("InvalidMessage", `unknown snapshot source kind ${sourceKind}`);
      const source = sourceKind === 0 ? { kind: "peer" } : { kind: "url", url: r.string("source url", MAX_URL) };
      if (!r.bool("inline present")) return parseMessage({ type, ...head, snapshot, source });
      const inline: InlineFile[] = [];
      const n = r.count("inline file count", 2);
      for (let i = 0; i < n; i++) inline.push({ name: r.string("inline file name", MAX_NAME), data: r.bytes("inline file data") });
      return parseMessage({ type, ...head, snapshot, source, inline });
    }
    case "InstallSnapshotResp":
      return { type, ...head, index: index(r, "index"), reject: r.bool("reject") };
  }
}

// The reader yields safe non-negative integers only, so terms and indices are
// always valid; node ids must also be positive.
function term(r: BinaryReader, what: string): Term {
  return Term.of(r.varint(what));
}

function index(r: BinaryReader, what: string): Index {
  return Index.of(r.varint(what));
}

function nodeId(r: BinaryReader, what: string): NodeId {
  const id = r.varint(what);
  if (!NodeId.is(id)) throw new RaftError("InvalidMessage", `${what}: node id ${id}`);
  return id;
}

function writeSnapshotMeta(w: BinaryWriter, s: SnapshotMeta): void {
  w.string(s.id);
  w.varint(s.index);
  w.varint(s.term);
  writeMembership(w, s.membership);
  w.varint(s.files.length);
  for (const f of s.files) {
    w.string(f.name);
    w.varint(f.size);
    w.raw(hexToBytes(f.sha256));
  }
  w.varint(s.size);
  w.raw(hexToBytes(s.sha256));
  w.varint(s.createdAt);
}

function readSnapshotMeta(r: BinaryReader): unknown {
  const id = r.string("snapshot id", MAX_ID);
  const index = r.varint("snapshot index");
  const term = r.varint("snapshot term");
  const membership = readMembership(r);
  const files = [];
  const n = r.count("snapshot file count", 34);
  for (let i = 0; i < n; i++) files.push({ name: r.string("snapshot file name", MAX_NAME), size: r.varint("snapshot file size"), sha256: bytesToHex(r.raw(32, "file sha256")) });
  return { id, index, term, membership, files, size: r.varint("snapshot size"), sha256: bytesToHex(r.raw(32, "snapshot sha256")), createdAt: r.varint("createdAt") };
}

function writeMembership(w: BinaryWriter, m: Membership): void {
  writeIds(w, m.voters);
  writeIds(w, m.learners);
  w.bool(m.outgoing !== undefined);
  if (m.outgoing !== undefined) writeIds(w, m.outgoing);
  const addresses = Object.entries(m.addresses ?? {});
  w.bool(m.addresses !== undefined);
  if (m.addresses === undefined) return;
  w.varint(addresses.length);
  for (const [id, address] of addresses) {
    w.varint(Number(id));
    w.string(address);
  }
}

function readMembership(r: BinaryReader): unknown {
  const voters = readIds(r, "voters");
  const learners = readIds(r, "learners");
  const outgoing = r.bool("outgoing present") ? readIds(r, "outgoing") : undefined;
  if (!r.bool("addresses present")) return { voters, learners, ...(outgoing === undefined ? {} : { outgoing }) };
  const addresses: Record<string, string> = {};
  const n = r.count("address count", 2);
  for (let i = 0; i < n; i++) addresses[String(r.varint("address node"))] = r.string("address", MAX_ID);
  return { voters, learners, ...(outgoing === undefined ? {} : { outgoing }), addresses };
}

function writeIds(w: BinaryWriter, ids: readonly number[]): void {
  w.varint(ids.length);
  for (const id of ids) w.varint(id);
}

function readIds(r: BinaryReader, what: string): number[] {
  const ids: number[] = [];
  const n = r.count(what);
  for (let i = 0; i < n; i++) ids.push(r.varint(what));
  return ids;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return hex;
}
