import { Prng } from "@raft/core/testing";
import { describe, expect, it } from "vitest";
import { ACCOUNTS_FILE, BankStateMachine, HEADER_FILE, REQUESTS_FILE, type BankCommand } from "../src/index.js";
import { deposit, Feeder, fileText, fingerprint, metaAt, open, readAll, streamOf, transfer, withdraw } from "./support/bank.js";
import { Index } from "@raft/core/contracts";

/** A machine with accounts, moved money, rejected commands, and a full de-duplication table. */
function populated(dedupCapacity = 4) {
  const sm = new BankStateMachine({ dedupCapacity, snapshotChunkBytes: 64 });
  const feed = new Feeder(sm);
  feed.apply(open("o1", "alice", 100), open("o2", "bob", 5), open("o3", "carol", 0));
  feed.apply(transfer("t1", "alice", "carol", 40), withdraw("w1", "bob", 6), deposit("d1", "bob", 1), transfer("t2", "carol", "bob", 15));
  return { sm, feed };
}

async function restoredCopy(sm: BankStateMachine, options = {}) {
  const copy = new BankStateMachine({ dedupCapacity: sm.dedupCapacity, ...options });
  await copy.restore(metaAt(sm.appliedIndex()), streamOf(await readAll(sm.snapshot())));
  return copy;
}

describe("snapshot and restore", () => {
  it("round-trips the whole state, the de-duplication table included", async () => {
    const { sm } = populated();
    const copy = await restoredCopy(sm);
    expect(fingerprint(copy)).toBe(fingerprint(sm));
    expect(copy.request("w1")).toEqual({ index: 5, result: { ok: false, error: "InsufficientFunds", index: 5, duplicate: false } });
    expect(copy.request("o2")).toBeUndefined(); // evicted before the snapshot, so not in it
  });

  it("restores from chunks in one reused buffer, as it tells the runtime it may (reuseRestoreBuffers)", async () => {
    const { sm } = populated(50);
    expect(sm.reuseRestoreBuffers).toBe(true);
    const files = await readAll(sm.snapshot());
    // Every file re-cut into 7-byte chunks, all in the same buffer: each is overwritten once the next is pulled.
    const buffer = new Uint8Array(7);
    const reused = (async function* () {
      for (const f of files) {
        const bytes = Buffer.concat(f.chunks);
        yield {
          name: f.name,
          chunks: (async function* () {
            for (let at = 0; at < bytes.length; at += buffer.length) {
              const chunk = buffer.subarray(0, Math.min(buffer.length, bytes.length - at));
              chunk.set(bytes.subarray(at, at + chunk.length));
              yield chunk;
              buffer.fill(0x7b); // "{": still valid text, so a reader that kept the chunk would parse wrong lines, not fail
            }
          })(),
        };
      }
    })();
    const copy = new BankStateMachine({ dedupCapacity: sm.dedupCapacity });
    await copy.restore(metaAt(sm.appliedIndex()), reused);
    expect(fingerprint(copy)).toBe(fingerprint(sm));
  });

  it("after restore, a retry still answers duplicate and applies nothing", async () => {
    const { sm, feed } = populated();
    const copy = await restoredCopy(sm);
    const next = new Feeder(copy);
    next.next = feed.next;
    expect(next.one(transfer("t1", "alice", "carol", 40))).toEqual({ ok: true, index: 4, duplicate: true });
    expect(copy.balance("alice")).toBe(sm.balance("alice"));
  });

  it("a restored machine evolves exactly as the original: same results, evictions and state", async () => {
    const { sm, feed } = populated();
    const copy = await restoredCopy(sm);
    const next = new Feeder(copy);
    next.next = feed.next;
    const more: BankCommand[] = [deposit("d2", "alice", 1), transfer("t1", "alice", "carol", 40), deposit("o2", "bob", 1), open("o4", "dave", 9), withdraw("w2", "carol", 1)];
    expect(next.apply(...more)).toEqual(feed.apply(...more));
    expect(fingerprint(copy)).toBe(fingerprint(sm));
  });

  it("writes the documented files and lines", async () => {
    const { sm } = populated(2);
    const files = await readAll(sm.snapshot());
    expect(files.map((f) => f.name)).toEqual([HEADER_FILE, ACCOUNTS_FILE, REQUESTS_FILE]);
    expect(JSON.parse(fileText(files, HEADER_FILE))).toEqual({ format: "raft-bank-snapshot/1", appliedIndex: 7, accounts: 3, total: 106, requests: 2, dedupCapacity: 2 });
    expect(fileText(files, ACCOUNTS_FILE)).toBe('["alice",60]\n["bob",21]\n["carol",25]\n');
    expect(fileText(files, REQUESTS_FILE)).toMatch(/^\["d1",6,"ok",\d+\]\n\["t2",7,"ok",\d+\]\n$/);
  });

  it("writes each request line as the JSON array [requestId, index, outcome, digest], escaping what the id needs", async () => {
    const sm = new BankStateMachine({ dedupCapacity: 8 });
    const feed = new Feeder(sm);
    const ids = ['quote " and \\ backslash', "lone surrogate \ud800", "control \u0001\n", "é🙂"];
    feed.apply(open("o1", "a", 10), ...ids.map((id) => deposit(id, "a", 1)), withdraw("w1", "a", 1_000));
    const lines = fileText(await readAll(sm.snapshot()), REQUESTS_FILE)
      .split("\n")
      .slice(0, -1);
    expect(lines).toHaveLength(6);
    const expected = [...sm.requests()].map((r) => JSON.stringify([r.requestId, r.index, r.result.ok ? "ok" : r.result.error, JSON.parse(lines[r.index - 1] as string)[3]]));
    expect(lines).toEqual(expected);
    expect(lines[5]).toMatch(/^\["w1",6,"InsufficientFunds",\d+\]$/);
  });

  it("gives equal states equal bytes, on any node and after a restore (snapshot ids are content addressed)", async () => {
    const a = populated().sm;
    const b = populated().sm;
    const bytesOf = async (sm: BankStateMachine) => Buffer.concat((await readAll(sm.snapshot())).flatMap((f) => f.chunks)).toString("hex");
    expect(await bytesOf(b)).toBe(await bytesOf(a));
    expect(await bytesOf(await restoredCopy(a))).toBe(await bytesOf(a));
  });

  it("round-trips an empty bank", async () => {
    const sm = new BankStateMachine();
    const copy = await restoredCopy(sm);
    expect(fingerprint(copy)).toBe(fingerprint(sm));
    expect(copy.accountCount()).toBe(0);
  });

  it("keeps every chunk within snapshotChunkBytes, splitting multi-byte characters across chunks safely", async () => {
    const sm = new BankStateMachine({ snapshotChunkBytes: 64 });
    const feed = new Feeder(sm);
    feed.one(open("o", "a", 1_000_000));
    for (let i = 0; i < 200; i++) feed.one(deposit(`é🙂-${i}-${"\u{10348}".repeat(i % 20)}`, "a", 1));
    feed.one(deposit("lone surrogate \ud800 and control \u0001", "a", 1)); // JSON escapes both
    const files = await readAll(sm.snapshot());
    const sizes = files.flatMap((f) => f.chunks.map((c) => c.length));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64);
    expect(sizes.length).toBeGreaterThan(100);
    const copy = new BankStateMachine();
    await copy.restore(metaAt(sm.appliedIndex()), streamOf(files));
    expect(fingerprint(copy)).toBe(fingerprint(sm));
  });

  it("replaces whatever state the machine had", async () => {
    const { sm } = populated();
    const other = new BankStateMachine({ dedupCapacity: 4 });
    new Feeder(other).apply(open("x1", "zed", 7), open("x2", "alice", 1));
    await other.restore(metaAt(sm.appliedIndex()), streamOf(await readAll(sm.snapshot())));
    expect(fingerprint(other)).toBe(fingerprint(sm));
    expect(other.balance("zed")).toBeUndefined();
    expect(other.request("x1")).toBeUndefined();
  });

  it("refuses a snapshot taken with another dedupCapacity (InvalidConfig), keeping its state", async () => {
    const { sm } = populated(4);
    const other = new BankStateMachine({ dedupCapacity: 5 });
    new Feeder(other).one(open("x", "zed", 7));
    await expect(other.restore(metaAt(sm.appliedIndex()), streamOf(await readAll(sm.snapshot())))).rejects.toMatchObject({ code: "InvalidConfig" });
    expect(other.balance("zed")).toBe(7);
  });

  it("frees its frozen view once read, or on release(); a released view can no longer be read", async () => {
    const sm = new BankStateMachine({ snapshotChunkBytes: 64 });
    new Feeder(sm).apply(...Array.from({ length: 50 }, (_, i) => open(`o${i}`, `acct-${i}`, i)));
    const read = sm.snapshot();
    expect(sm.heldSnapshotViews()).toBe(1);
    await readAll(read);
    expect(sm.heldSnapshotViews()).toBe(0);
    const abandoned = sm.snapshot();
    const iterator = abandoned.files[1]?.chunks()[Symbol.asyncIterator]();
    await iterator?.next();
    abandoned.release?.();
    expect(sm.heldSnapshotViews()).toBe(0);
    await expect(iterator?.next()).rejects.toMatchObject({ code: "Aborted" });
    await expect(readAll(abandoned)).rejects.toMatchObject({ code: "Aborted" });
  });
});

describe("the frozen view", () => {
  it("is not changed by applies that run while its files are read", async () => {
    const accounts = 50_000;
    const sm = new BankStateMachine({ dedupCapacity: 1000, snapshotChunkBytes: 4096 });
    const feed = new Feeder(sm);
    for (let b = 0; b < accounts; b += 5000) feed.apply(...Array.from({ length: 5000 }, (_, i) => open(`o${b + i}`, `acct-${b + i}`, 1000 + b + i)));
    const expected = fingerprint(sm);
    const expectedTotal = sm.total();

    const snapshot = sm.snapshot();
    const prng = new Prng(7);
    let nextOpen = accounts;
    let interleaved = 0;
    const files: { name: string; chunks: Uint8Array[] }[] = [];
    for (const f of snapshot.files) {
      const chunks: Uint8Array[] = [];
      for await (const c of f.chunks()) {
        chunks.push(c);
        // Between chunks: move money between accounts already read and not yet read,
        // open new accounts, and push enough new requests through to evict old ones.
        const batch: BankCommand[] = [];
        for (let i = 0; i < 40; i++) {
          const a = `acct-${prng.int(0, accounts)}`;
          const b = `acct-${prng.int(0, accounts)}`;
          if (a !== b) batch.push(transfer(`t${interleaved}-${i}`, a, b, prng.int(1, 900)));
          batch.push(deposit(`d${interleaved}-${i}`, a, 3));
        }
        batch.push(open(`o${nextOpen}`, `acct-${nextOpen++}`, 5));
        feed.apply(...batch);
        interleaved++;
      }
      files.push({ name: f.name, chunks });
    }
    expect(interleaved).toBeGreaterThan(200);
    expect(sm.total()).not.toBe(expectedTotal); // the live state did move on
    expect(sm.heldSnapshotViews()).toBe(0);

    const copy = new BankStateMachine({ dedupCapacity: 1000 });
    await copy.restore(metaAt(Index.of(accounts)), streamOf(files));
    expect(fingerprint(copy)).toBe(expected);
    expect(copy.accountCount()).toBe(accounts);
    expect(copy.request("o0")).toBeUndefined();
    expect(copy.request(`o${accounts - 1}`)).toEqual({ index: accounts, result: { ok: true, index: accounts, duplicate: false } });
  });

  it("several views taken at different points each keep their own state", async () => {
    const sm = new BankStateMachine({ dedupCapacity: 3, snapshotChunkBytes: 64 });
    const feed = new Feeder(sm);
    feed.apply(open("o1", "a", 10), open("o2", "b", 10));
    const first = fingerprint(sm);
    const s1 = sm.snapshot();
    feed.apply(transfer("t1", "a", "b", 5), open("o3", "c", 1), deposit("d1", "c", 1));
    const second = fingerprint(sm);
    const s2 = sm.snapshot();
    feed.apply(transfer("t2", "b", "a", 15), withdraw("w1", "c", 2), open("o4", "d", 1));
    const restore = async (s: typeof s1) => {
      const copy = new BankStateMachine({ dedupCapacity: 3 });
      await copy.restore(metaAt(Index.of(100)), streamOf(await readAll(s)));
      return fingerprint(copy);
    };
    expect(await restore(s2)).toBe(second);
    expect(await restore(s1)).toBe(first);
  });
});
