import { afterEach, describe, expect, it } from "vitest";
import { BankStateMachine, encodeBankCommand, type BankCommand, type BankResult } from "../src/index.js";
import { bankCluster, type BankCluster } from "./support/bank-cluster.js";
import { deposit, Feeder, fingerprint, open, transfer, withdraw } from "./support/bank.js";
import { NodeId } from "@raft/core/contracts";

// Three in-process RaftNodes replicate the bank: proposals, a client retry,
// a snapshot with log compaction, a follower that installs it, and a retry
// answered from the de-duplication table that came with the snapshot.

let cluster: BankCluster;
afterEach(async () => {
  await cluster?.stopAll();
});

describe("the bank on a 3-node cluster", () => {
  it("replicates commands, answers retries once, snapshots, and converges on every node", async () => {
    // No automatic snapshots; compaction keeps nothing, so a lagging follower needs the snapshot; never inline it.
    cluster = bankCluster([NodeId.of(1), NodeId.of(2), NodeId.of(3)], { snapshotEntries: 0, keepTrailing: 0, snapshotInlineBytes: 0, snapshotChunkBytes: 512 });
    await cluster.startAll();
    let leader = await cluster.waitForLeader();
    const propose = (c: BankCommand) => cluster.settle(leader.propose(encodeBankCommand(c)));
    const proposeAll = (cs: BankCommand[]) => cluster.settle(Promise.all(cs.map((c) => leader.propose(encodeBankCommand(c)))));

    const opens = Array.from({ length: 40 }, (_, i) => open(`open-${i}`, `acct-${i}`, 1000));
    expect((await proposeAll(opens)).every((r) => r.ok && !r.duplicate)).toBe(true);
    const first = await propose(transfer("pay-1", "acct-0", "acct-1", 250));
    expect(first).toMatchObject({ ok: true, duplicate: false });

    // The client did not hear back and retries: the same request id, the original answer.
    expect(await propose(transfer("pay-1", "acct-0", "acct-1", 250))).toEqual({ ...first, duplicate: true });
    expect(await propose(withdraw("pay-2", "acct-2", 5000))).toMatchObject({ ok: false, error: "InsufficientFunds" });

    // A follower goes down; the rest go on, snapshot and compact their log.
    const lagging = cluster.voters.find((id) => id !== leader.id) as number;
    await cluster.crash(lagging);
    const more = Array.from({ length: 60 }, (_, i) => transfer(`more-${i}`, `acct-${i % 40}`, `acct-${(i * 7 + 3) % 40}`, 10 + i));
    await proposeAll(more);
    const meta = await cluster.settle(leader.takeSnapshot());
    expect(meta.files.map((f) => f.name)).toEqual(["bank.json", "accounts.jsonl", "requests.jsonl"]);
    expect(leader.status().firstIndex).toBe(meta.index + 1);
    await proposeAll([deposit("after-1", "acct-5", 7), open("open-late", "late", 3)]);

    // Back up, the follower can only catch up by installing the snapshot, then the log after it.
    const back = await cluster.start(lagging);
    await cluster.until(() => back.status().snapshots.installed === 1 && back.status().applied === leader.status().applied);
    const restored = cluster.machine(lagging);
    expect(restored.request("pay-1")).toEqual({ index: first.index, result: { ...first, duplicate: false } });

    // Leadership moves to the restored node: its table, from the snapshot, still answers the retry.
    leader.transferLeadership(lagging);
    await cluster.until(() => back.status().role === "leader");
    leader = back;
    const retried: BankResult = await propose(transfer("pay-1", "acct-0", "acct-1", 250));
    expect(retried).toEqual({ ...first, duplicate: true });

    await cluster.run(200);
    const prints = cluster.voters.map((id) => fingerprint(cluster.machine(id)));
    expect(new Set(prints).size).toBe(1);
    // The same commands without the retries, on one machine: the retries changed nothing.
    const reference = new BankStateMachine();
    new Feeder(reference).apply(...opens, transfer("pay-1", "acct-0", "acct-1", 250), withdraw("pay-2", "acct-2", 5000), ...more, deposit("after-1", "acct-5", 7), open("open-late", "late", 3));
    for (const id of cluster.voters) {
      expect([...cluster.machine(id).accounts()]).toEqual([...reference.accounts()]);
      expect(cluster.machine(id).total()).toBe(40 * 1000 + 7 + 3);
    }
  });
});
