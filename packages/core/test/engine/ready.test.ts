import { describe, expect, it } from "vitest";
import { RaftEngine, type Message } from "../../src/engine/index.js";
import { MemoryLog } from "../../src/testing/index.js";
import { EngineCluster } from "../support/engine-cluster.js";

// One input, the exact Ready it produces: the ordered writes, messages,
// applies and read states, compared whole.

function engine(id = 1, voters = [1, 2, 3], options = {}) {
  return new RaftEngine({ id, voters, log: new MemoryLog(), seed: 1, preVote: false, ...options });
}

const empty = {
  softState: undefined,
  hardState: undefined,
  entries: [],
  messages: [],
  committed: [],
  readStates: [],
  droppedReads: [],
  logReset: undefined,
  compactTo: undefined,
  installSnapshot: undefined,
};

describe("exact Ready for one input", () => {
  it("a fresh node has nothing to do", () => {
    expect(engine().hasReady()).toBe(false);
  });

  it("campaign: become candidate, persist the self-vote, then ask every peer", () => {
    const e = engine();
    e.campaign();
    expect(e.ready()).toEqual({
      ...empty,
      softState: { role: "candidate", leader: 0 },
      hardState: { term: 1, vote: 1, commit: 0 },
      messages: [
        { type: "Vote", from: 1, to: 2, term: 1, lastIndex: 0, lastTerm: 0, transfer: false },
        { type: "Vote", from: 1, to: 3, term: 1, lastIndex: 0, lastTerm: 0, transfer: false },
      ],
    });
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

  it("a vote request: the vote is persisted in the same Ready that carries the grant", () => {
    const e = engine(2);
    e.step({ type: "Vote", from: 1, to: 2, term: 1, lastIndex: 0, lastTerm: 0, transfer: false });
    expect(e.ready()).toEqual({
      ...empty,
      hardState: { term: 1, vote: 1, commit: 0 },
      messages: [{ type: "VoteResp", from: 2, to: 1, term: 1, reject: false }],
    });
  });

  it("winning the election: leader appends its no-op and sends it to every follower", () => {
    const e = engine();
    e.campaign();
    e.advance(e.ready());
    e.step({ type: "VoteResp", from: 2, to: 1, term: 1, reject: false });
    const noop = { index: 1, term: 1, kind: "noop", data: new Uint8Array(0) };
    const append = (to: number): Message => ({ type: "Append", from: 1, to, term: 1, prevIndex: 0, prevTerm: 0, entries: [noop], commit: 0 } as Message);
    expect(e.ready()).toEqual({ ...empty, softState: { role: "leader", leader: 1 }, entries: [noop], messages: [append(2), append(3)] });
  });

  it("a follower's append: persist, acknowledge, and apply what the leader committed", () => {
    const e = engine(2);
    const entries = [
      { index: 1, term: 1, kind: "noop" as const, data: new Uint8Array(0) },
      { index: 2, term: 1, kind: "normal" as const, data: new Uint8Array([7]) },
    ];
    e.step({ type: "Append", from: 1, to: 2, term: 1, prevIndex: 0, prevTerm: 0, entries, commit: 1 });
    expect(e.ready()).toEqual({
      ...empty,
      softState: { role: "follower", leader: 1 },
      hardState: { term: 1, vote: 0, commit: 1 },
      entries,
      messages: [{ type: "AppendResp", from: 2, to: 1, term: 1, reject: false, index: 2, hintIndex: 0, hintTerm: 0 }],
      committed: [entries[0]],
    });
  });

  it("a follower rejects an append it cannot match, with a hint", () => {
    const e = engine(2);
    e.step({ type: "Append", from: 1, to: 2, term: 3, prevIndex: 5, prevTerm: 3, entries: [], commit: 0 });
    expect(e.ready().messages).toEqual([{ type: "AppendResp", from: 2, to: 1, term: 3, reject: true, index: 5, hintIndex: 0, hintTerm: 0 }]);
  });

  it("a proposal on the leader: persist the entry, replicate it to every follower at once", () => {
    const c = new EngineCluster([1, 2, 3], { preVote: false });
    c.elect(1);
    const e = c.engine(1);
    const data = new TextEncoder().encode("x");
    expect(e.propose(data)).toEqual({ index: 2, term: 1 });
    const entry = { index: 2, term: 1, kind: "normal", data };
    const append = (to: number) => ({ type: "Append", from: 1, to, term: 1, prevIndex: 1, prevTerm: 1, entries: [entry], commit: 1 });
    expect(e.ready()).toEqual({ ...empty, entries: [entry], messages: [append(2), append(3)] });
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
