import { describe, expect, it } from "vitest";
import { Index, NodeId, RaftEngine, Term, type Entry, type HardState, type Message, type Ready, type StorageWrite } from "../../src/engine/index.js";
import { MemoryLog } from "../../src/testing/index.js";
import { EngineCluster } from "../support/engine-cluster.js";

// One input, the exact Ready it produces: the ordered writes, messages,
// applies and read states, compared whole.

const logs = new WeakMap<RaftEngine, MemoryLog>();

function engine(id = 1, voters = [1, 2, 3], options = {}) {
  const log = new MemoryLog();
  const e = new RaftEngine({ id: NodeId.of(id), voters: voters.map(NodeId.of), log, seed: 1, preVote: false, ...options });
  logs.set(e, log);
  return e;
}

/** Makes a Ready's write durable in the engine's log and acknowledges it, as a driver would. */
function persist(e: RaftEngine, rd: Ready, log = logs.get(e) as MemoryLog): void {
  const w = rd.write as StorageWrite;
  if (w.reset) log.reset(w.reset.index, w.reset.term);
  log.append(w.entries);
  if (w.hardState) log.hardState = w.hardState;
  e.persisted(w.durableTo);
}

const empty = {
  softState: undefined,
  write: undefined,
  messages: [],
  messagesAfterWrite: [],
  committed: [],
  readStates: [],
  droppedReads: [],
  compactTo: undefined,
  installSnapshot: undefined,
};

function write(w: { hardState?: HardState; entries?: Entry[]; reset?: { index: number; term: number }; durableTo: { index: number; term: number } }) {
  return { reset: undefined, hardState: undefined, entries: [], ...w };
}

describe("exact Ready for one input", () => {
  it("a fresh node has nothing to do", () => {
    expect(engine().hasReady()).toBe(false);
  });

  it("campaign: become candidate, persist the self-vote, ask every peer, count our own vote once it is durable", () => {
    const e = engine();
    e.campaign();
    expect(e.ready()).toEqual({
      ...empty,
      softState: { role: "candidate", leader: 0 },
      write: write({ hardState: { term: Term.of(1), vote: NodeId.of(1), commit: Index.zero }, durableTo: { index: 0, term: 0 } }),
      messages: [
        { type: "Vote", from: 1, to: 2, term: 1, lastIndex: 0, lastTerm: 0, transfer: false },
        { type: "Vote", from: 1, to: 3, term: 1, lastIndex: 0, lastTerm: 0, transfer: false },
      ],
      messagesAfterWrite: [{ type: "VoteResp", from: 1, to: 1, term: 1, reject: false }],
    });
  });

  it("a single voter becomes leader once its own vote is durable, not before", () => {
    const e = engine(1, [1]);
    e.campaign();
    const rd = e.ready();
    e.advance(rd);
    expect(e.status().role).toBe("candidate");
    persist(e, rd);
    for (const m of rd.messagesAfterWrite) e.step(m);
    expect(e.status().role).toBe("leader");
  });

  it("pre-vote campaign: keeps the term, asks about term + 1", () => {
    const e = engine(1, [1, 2, 3], { preVote: true });
    e.campaign();
    expect(e.ready()).toEqual({
      ...empty,
      softState: { role: "pre-candidate", leader: 0 },
      messages: [
        { type: "PreVote", from: 1, to: 2, term: 1, lastIndex: 0, lastTerm: 0, transfer: false },
        { type: "PreVote", from: 1, to: 3, term: 1, lastIndex: 0, lastTerm: 0, transfer: false },
      ],
    });
  });

  it("a vote request: the vote is persisted in the same Ready, and the grant leaves after it", () => {
    const e = engine(2);
    e.step({ type: "Vote", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(1), lastIndex: Index.zero, lastTerm: Term.zero, transfer: false });
    expect(e.ready()).toEqual({
      ...empty,
      write: write({ hardState: { term: Term.of(1), vote: NodeId.of(1), commit: Index.zero }, durableTo: { index: 0, term: 0 } }),
      messagesAfterWrite: [{ type: "VoteResp", from: 2, to: 1, term: 1, reject: false }],
    });
  });

  it("winning the election: leader appends its no-op and sends it to every follower while writing it", () => {
    const e = engine();
    e.campaign();
    const rd = e.ready();
    e.advance(rd);
    persist(e, rd);
    for (const m of rd.messagesAfterWrite) e.step(m);
    e.step({ type: "VoteResp", from: NodeId.of(2), to: NodeId.of(1), term: Term.of(1), reject: false });
    const noop: Entry = { index: Index.of(1), term: Term.of(1), kind: "noop", data: new Uint8Array(0) };
    const append = (to: number): Message => ({
      type: "Append",
      from: NodeId.of(1),
      to: NodeId.of(to),
      term: Term.of(1),
      prevIndex: Index.zero,
      prevTerm: Term.zero,
      entries: [noop],
      commit: Index.zero,
    });
    expect(e.ready()).toEqual({
      ...empty,
      softState: { role: "leader", leader: 1 },
      write: write({ entries: [noop], durableTo: { index: 1, term: 1 } }),
      messages: [append(2), append(3)],
    });
  });

  it("a follower's append: persist, acknowledge, and apply what the leader committed", () => {
    const e = engine(2);
    const entries = [
      { index: Index.of(1), term: Term.of(1), kind: "noop" as const, data: new Uint8Array(0) },
      { index: Index.of(2), term: Term.of(1), kind: "normal" as const, data: new Uint8Array([7]) },
    ];
    e.step({ type: "Append", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(1), prevIndex: Index.zero, prevTerm: Term.zero, entries, commit: Index.of(1) });
    expect(e.ready()).toEqual({
      ...empty,
      softState: { role: "follower", leader: 1 },
      write: write({ hardState: { term: Term.of(1), vote: 0, commit: Index.of(1) }, entries, durableTo: { index: 2, term: 1 } }),
      messagesAfterWrite: [{ type: "AppendResp", from: 2, to: 1, term: 1, reject: false, index: 2, hintIndex: 0, hintTerm: 0 }],
      committed: [entries[0]],
    });
  });

  it("a change of the commit index alone writes nothing; the next write carries it", () => {
    const e = engine(2);
    const entries: Entry[] = [{ index: Index.of(1), term: Term.of(1), kind: "noop", data: new Uint8Array(0) }];
    e.step({ type: "Append", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(1), prevIndex: Index.zero, prevTerm: Term.zero, entries, commit: Index.zero });
    const first = e.ready();
    e.advance(first);
    persist(e, first);
    e.step({ type: "Heartbeat", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(1), commit: Index.of(1), round: 1 });
    const rd = e.ready();
    expect(rd.write).toBeUndefined();
    expect(rd.committed).toEqual(entries);
    e.advance(rd);
    const next: Entry = { index: Index.of(2), term: Term.of(1), kind: "normal", data: new Uint8Array([1]) };
    e.step({ type: "Append", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(1), prevIndex: Index.of(1), prevTerm: Term.of(1), entries: [next], commit: Index.of(1) });
    expect(e.ready().write).toEqual(write({ hardState: { term: Term.of(1), vote: 0, commit: Index.of(1) }, entries: [next], durableTo: { index: 2, term: 1 } }));
  });

  it("a follower rejects an append it cannot match, with a hint", () => {
    const e = engine(2);
    e.step({ type: "Append", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(3), prevIndex: Index.of(5), prevTerm: Term.of(3), entries: [], commit: Index.zero });
    expect(e.ready().messagesAfterWrite).toEqual([{ type: "AppendResp", from: 2, to: 1, term: 3, reject: true, index: 5, hintIndex: 0, hintTerm: 0 }]);
  });

  it("a proposal on the leader: persist the entry, replicate it to every follower at once", () => {
    const c = new EngineCluster([1, 2, 3], { preVote: false });
    c.elect(1);
    const e = c.engine(1);
    const data = new TextEncoder().encode("x");
    expect(e.propose(data)).toEqual({ index: 2, term: 1 });
    const entry: Entry = { index: Index.of(2), term: Term.of(1), kind: "normal", data };
    const append = (to: number) => ({ type: "Append", from: 1, to, term: 1, prevIndex: 1, prevTerm: 1, entries: [entry], commit: 1 });
    expect(e.ready()).toEqual({
      ...empty,
      write: write({ hardState: { term: Term.of(1), vote: NodeId.of(1), commit: Index.of(1) }, entries: [entry], durableTo: { index: 2, term: 1 } }),
      messages: [append(2), append(3)],
    });
  });

  it("the leader counts its own entries toward a commit only once they are durable", () => {
    const c = new EngineCluster([1, 2, 3], { preVote: false });
    c.elect(1);
    const e = c.engine(1);
    e.propose(new TextEncoder().encode("x"));
    const rd = e.ready();
    e.advance(rd);
    // Follower 2 acknowledges; 2 alone is no quorum of three.
    e.step({ type: "AppendResp", from: NodeId.of(2), to: NodeId.of(1), term: Term.of(1), reject: false, index: Index.of(2), hintIndex: Index.zero, hintTerm: Term.zero });
    expect(e.status().commit).toBe(1);
    persist(e, rd, c.logs.get(1));
    expect(e.status().commit).toBe(2);
  });

  it("a stale acknowledgement (the entry was replaced since) marks nothing durable", () => {
    const e = engine(2);
    const log = logs.get(e) as MemoryLog;
    const old: Entry[] = [
      { index: Index.of(1), term: Term.of(1), kind: "noop", data: new Uint8Array(0) },
      { index: Index.of(2), term: Term.of(1), kind: "normal", data: new Uint8Array([1]) },
    ];
    e.step({ type: "Append", from: NodeId.of(1), to: NodeId.of(2), term: Term.of(1), prevIndex: Index.zero, prevTerm: Term.zero, entries: old, commit: Index.of(1) });
    const first = e.ready();
    e.advance(first);
    // A new leader replaces entry 2 before the first write is acknowledged.
    const replacement: Entry = { index: Index.of(2), term: Term.of(2), kind: "noop", data: new Uint8Array(0) };
    e.step({ type: "Append", from: NodeId.of(3), to: NodeId.of(2), term: Term.of(2), prevIndex: Index.of(1), prevTerm: Term.of(1), entries: [replacement], commit: Index.of(1) });
    const second = e.ready();
    e.advance(second);
    expect(second.write?.entries).toEqual([replacement]);
    // The first write lands: its acknowledgement names 2@1, which the log no longer holds.
    log.append(old);
    e.persisted((first.write as StorageWrite).durableTo);
    expect(e.entries(Index.of(1), Index.of(3))).toEqual([old[0], replacement]);
    persist(e, second);
    expect(e.entries(Index.of(1), Index.of(3))).toEqual([old[0], replacement]);
    expect(log.entries(Index.of(1), Index.of(3), Infinity)).toEqual([old[0], replacement]);
  });

  it("a proposal on a follower is refused with the leader's id", () => {
    const c = new EngineCluster([1, 2, 3], { preVote: false });
    c.elect(1);
    expect(() => c.engine(2).propose(new Uint8Array([1]))).toThrowError(expect.objectContaining({ code: "NotLeader", leaderHint: 1 }));
  });

  it("ready() twice without advance() is refused", () => {
    const e = engine();
    e.campaign();
    e.ready();
    expect(() => e.ready()).toThrowError(expect.objectContaining({ code: "InvalidConfig" }));
  });
});
