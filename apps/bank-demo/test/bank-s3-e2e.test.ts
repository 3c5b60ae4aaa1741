import { existsSync, readdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePortRange } from "@raft/core/testing";
import { afterAll, describe, expect, it, onTestFailed, vi } from "vitest";
import { isAlive } from "../src/cluster/cluster-layout.js";
import { BankCluster } from "./support/bank-cluster.js";

// The bank on S3 snapshots, started the way a user starts it: `bank-demo
// cluster --snapshots s3` with no S3 options runs a local S3 server (s3rver)
// in the cluster's process; `add-node` brings in a fourth node, which reads
// the leader's snapshot straight from S3. Real processes and sockets.
vi.setConfig({ testTimeout: 180_000 });

const accounts = Array.from({ length: 10 }, (_, i) => `acct-${i}`);

/** A counter's value in Prometheus text (0 if absent). */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("the bank with S3 snapshots", () => {
  const cluster = new BankCluster();
  afterAll(() => cluster.dispose());

  it("refuses S3 options without --snapshots s3, naming them", async () => {
    await expect(cluster.runToEnd(["cluster", "--nodes", "1", "--dir", join(cluster.dir, "refused"), "--s3-bucket", "snaps"])).rejects.toThrow(/--s3-bucket: only with --snapshots s3/);
    await expect(cluster.runToEnd(["cluster", "--nodes", "1", "--dir", join(cluster.dir, "refused"), "--snapshots", "s3", "--s3-endpoint", "http://127.0.0.1:1"])).rejects.toThrow(
      /--s3-endpoint needs --s3-bucket/,
    );
  });

  it("a new node reads the leader's snapshot from S3 (the leader sends no bytes), and Ctrl-C stops the local S3 server too", async () => {
    onTestFailed(() => console.error(cluster.output.slice(-4000), cluster.logTails()));
    const s3Port = await freePortRange(2 * 5 + 1);
    cluster.basePort = s3Port + 1; // the local S3 server takes the port below the nodes' by default
    const launcher = cluster.run(["cluster", "--nodes", "3", "--dir", cluster.dir, "--base-port", String(cluster.basePort), "--snapshots", "s3"]);
    await cluster.waitFor("a leader", async () => (await cluster.leader([1, 2, 3])) !== undefined, 60_000);
    expect(cluster.output).toContain(`local S3 server (s3rver): http://127.0.0.1:${s3Port}, bucket bank-demo`);
    expect(cluster.output).toContain("S3 snapshots (s3://bank-demo/bank-demo/, a prefix per node)");

    // Enough writes that the snapshot compacts the log past what node 4 could get by appends.
    const client = cluster.client([1, 2, 3]);
    for (const id of accounts) expect((await client.request("POST", "/accounts", { id, balance: 10_000, requestId: `open-${id}` })).status).toBe(201);
    await Promise.all(
      [0, 1, 2, 3].map(async (w) => {
        for (let i = 0; i < 60; i++) {
          const { status } = await client.request("POST", "/transfers", { requestId: `w${w}-${i}`, from: accounts[(w + i) % 10], to: accounts[(w + i + 3) % 10], amount: 1 + i });
          expect([200, 422]).toContain(status);
        }
      }),
    );
    const leader = (await cluster.leader([1, 2, 3])) as number;
    const snap = await client.request<{ index: number; sizeBytes: number }>("POST", "/admin/snapshot", undefined, { node: cluster.urlOf(leader) });
    expect(snap.status).toBe(200);

    const added = await cluster.runToEnd(["add-node", "--id", "4", "--dir", cluster.dir]);
    expect(added).toMatch(/node 4's snapshot: read straight from S3, [\d.]+ KiB by ranged GETs; the leader sent none/);
    expect(added).toContain("node 4 is a voter");

    // The leader (any node) served no snapshot bytes; node 4 read them all from S3 into its own prefix.
    for (const id of [1, 2, 3]) expect(await metric(cluster.urlOf(id), "raft_snapshot_bytes_sent_total"), `node ${id}`).toBe(0);
    const node4 = cluster.urlOf(4);
    expect(await metric(node4, "raft_snapshots_installed_total")).toBe(1);
    expect(await metric(node4, "raft_snapshot_url_bytes_received_total")).toBe(snap.body.sizeBytes);
    expect(await metric(node4, 'raft_snapshot_transfers_total{direction="receive",source="url",ok="true"}')).toBe(1);
    expect(readdirSync(join(cluster.dir, "s3", "bank-demo", "bank-demo")).sort()).toEqual([`node-${leader}`, "node-4"]);

    // All four nodes hold the same balances.
    const { body: book } = await client.request<{ index: number; accounts: Record<string, number>; total: number }>("GET", "/accounts");
    expect(book.total).toBe(accounts.length * 10_000);
    for (const id of [1, 2, 3, 4]) {
      await cluster.waitFor(`node ${id} to apply ${book.index}`, async () => ((await cluster.status(id)) as { appliedIndex: number }).appliedIndex >= book.index);
      const stale = (await (await fetch(`${cluster.urlOf(id)}/accounts?consistency=stale`)).json()) as { accounts: Record<string, number> };
      expect(stale.accounts, `node ${id}`).toEqual(book.accounts);
    }

    // Ctrl-C: every node (node 4 included) and the local S3 server stop; no process is left.
    const pids = [1, 2, 3, 4].map((id) => cluster.pidOf(id));
    const exited = new Promise<number | null>((resolve) => launcher.once("exit", resolve));
    launcher.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(await portOpen(s3Port)).toBe(false);
    expect(existsSync(join(cluster.dir, "s3", "bank-demo"))).toBe(true); // the objects stay for the next run
  });
});
