import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, describe, expect, it, onTestFailed, vi } from "vitest";
import type { ApiClient } from "../src/client/api-client.js";
import { BankCluster } from "./support/bank-cluster.js";

// Real sockets and processes: on a busy 2-core machine this takes minutes, not seconds.
vi.setConfig({ testTimeout: 240_000 });

interface Attempt {
  requestId: string;
  from: string;
  to: string;
  amount: number;
  /** The definite answer the client got, if it got one. */
  answer?: { status: number; index?: number; error?: string };
}

const accounts = Array.from({ length: 10 }, (_, i) => `acct-${i}`);
const opening = 10_000;

/** A deterministic sequence of transfers for one worker. */
function* transfers(worker: number, count: number): Generator<Omit<Attempt, "answer">> {
  let x = worker * 7919 + 17;
  const next = () => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31);
  for (let i = 0; i < count; i++) {
    const from = accounts[next() % accounts.length] as string;
    let to = accounts[next() % accounts.length] as string;
    if (to === from) to = accounts[(accounts.indexOf(from) + 1) % accounts.length] as string;
    yield { requestId: `w${worker}-${i}`, from, to, amount: 1 + (next() % 3_000) };
  }
}

/** Sends one transfer until it gets a definite answer, retrying with the same requestId (through any node). */
async function send(client: ApiClient, attempt: Attempt): Promise<void> {
  const { requestId, from, to, amount } = attempt;
  for (let tries = 0; tries < 200; tries++) {
    try {
      const { status, body } = await client.request<{ index?: number; error?: string }>("POST", "/transfers", { requestId, from, to, amount });
      if (status === 200 || status === 422) {
        attempt.answer = { status, index: body.index, error: body.error };
        return;
      }
    } catch {
      // no node answered: the cluster is electing or a node is down; retry
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Bad input gets a clear typed answer; followers redirect; retries answer the original outcome. */
async function expectHttpContract(cluster: BankCluster, client: ApiClient): Promise<void> {
  const leader = (await cluster.leader()) as number;
  const follower = [1, 2, 3].find((id) => id !== leader) as number;
  const post = (id: number, path: string, body: string) => fetch(`${cluster.urlOf(id)}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const notJson = await post(leader, "/transfers", "{ not json");
  expect([notJson.status, ((await notJson.json()) as { error: string }).error]).toEqual([400, "InvalidJSON"]);
  const badField = await post(leader, "/transfers", JSON.stringify({ requestId: "x", from: "acct-0", to: "acct-1", amount: -5 }));
  expect(badField.status).toBe(400);
  expect(((await badField.json()) as { reason: string }).reason).toMatch(/amount/);
  const redirected = await post(follower, "/transfers", JSON.stringify({ requestId: "r-follower", from: "acct-0", to: "acct-1", amount: 1 }));
  expect(redirected.status).toBe(421);
  expect(await redirected.json()).toEqual({ error: "NotLeader", leaderId: leader, leaderUrl: cluster.urlOf(leader) });
  expect((await fetch(`${cluster.urlOf(follower)}/accounts`)).status).toBe(421);
  expect((await fetch(`${cluster.urlOf(leader)}/accounts/nobody`)).status).toBe(404);
  const unknown = await client.request("POST", "/transfers", { requestId: "r-unknown", from: "acct-0", to: "nobody", amount: 1 });
  expect([unknown.status, unknown.body.error]).toEqual([422, "UnknownAccount"]);
  const once = await client.request("POST", "/transfers", { requestId: "r-once", from: "acct-0", to: "acct-1", amount: 100 });
  const again = await client.request("POST", "/transfers", { requestId: "r-once", from: "acct-0", to: "acct-1", amount: 100 });
  expect(once.body).toEqual({ index: expect.any(Number), duplicate: false });
  expect(again.body).toEqual({ index: once.body.index, duplicate: true });
  const back = await client.request("POST", "/transfers", { requestId: "r-once-back", from: "acct-1", to: "acct-0", amount: 100 });
  expect(back.status).toBe(200);
}

describe("the bank on three node processes", () => {
  const cluster = new BankCluster();
  afterAll(() => cluster.dispose());

  it("conserves money and applies every acknowledged transfer exactly once through a leader crash, a snapshot and a new member", async () => {
    onTestFailed(() => console.error(cluster.logTails()));
    await cluster.start(3, "grpc");
    const client = cluster.client([1, 2, 3]);
    for (const id of accounts) expect((await client.request("POST", "/accounts", { id, balance: opening, requestId: `open-${id}` })).status).toBe(201);
    expect((await client.request("POST", "/accounts", { id: "acct-0", balance: 5 })).status).toBe(409);
    await expectHttpContract(cluster, client);

    const attempts: Attempt[] = [];
    const workers = [0, 1, 2, 3].map(async (w) => {
      const own = cluster.client([1, 2, 3, 4]);
      for (const t of transfers(w, 400)) {
        const attempt: Attempt = { ...t };
        attempts.push(attempt);
        await send(own, attempt);
      }
    });

    // Crash the leader while transfers run, let them continue, then restart it.
    await cluster.waitFor("100 answered transfers", async () => attempts.filter((a) => a.answer).length >= 100);
    const first = (await cluster.leader()) as number;
    process.kill(cluster.pidOf(first), "SIGKILL");
    await cluster.waitFor("a new leader", async () => ((await cluster.leader([1, 2, 3].filter((id) => id !== first))) ?? first) !== first);
    const answeredAtCrash = attempts.filter((a) => a.answer).length;
    await cluster.waitFor("transfers after the crash", async () => attempts.filter((a) => a.answer).length >= answeredAtCrash + 200);
    cluster.run(["node", "--config", `${cluster.dir}/${first}/config.json`]);
    await cluster.waitFor(`node ${first} back`, async () => (await cluster.status(first)) !== undefined);

    // Snapshot on the leader (its log is compacted), then add a fourth node that must receive it.
    const snap = await client.request<{ index: number; sizeBytes: number }>("POST", "/admin/snapshot", undefined, { node: cluster.urlOf((await cluster.leader()) as number) });
    expect(snap.status).toBe(200);
    expect(snap.body.sizeBytes).toBeGreaterThan(0);
    await cluster.runToEnd(["add-node", "--id", "4", "--dir", cluster.dir]);
    await Promise.all(workers);

    // Every attempt ended with a definite answer.
    expect(attempts.filter((a) => a.answer === undefined).map((a) => a.requestId)).toEqual([]);

    // Exactly once: each acknowledged transfer is applied at the index it was acknowledged with,
    // and replaying the applied transfers in log order from the openings gives the balances.
    const applied: (Attempt & { index: number; ok: boolean })[] = [];
    for (const a of attempts) {
      const { body } = await client.request<{ applied: boolean; index?: number; ok?: boolean; error?: string }>("GET", `/transfers/${a.requestId}`);
      expect(body.applied, a.requestId).toBe(true);
      expect(body.index).toBe(a.answer?.index);
      expect(body.ok).toBe(a.answer?.status === 200);
      applied.push({ ...a, index: body.index as number, ok: body.ok as boolean });
    }
    const expected = new Map(accounts.map((id) => [id, opening]));
    for (const t of applied.sort((x, y) => x.index - y.index)) {
      if (!t.ok) continue;
      expected.set(t.from, (expected.get(t.from) as number) - t.amount);
      expected.set(t.to, (expected.get(t.to) as number) + t.amount);
    }
    const { body: book } = await client.request<{ index: number; accounts: Record<string, number>; total: number }>("GET", "/accounts");
    expect(book.total).toBe(accounts.length * opening);
    expect(book.accounts).toEqual(Object.fromEntries(expected));
    expect(Object.values(book.accounts).every((b) => b >= 0)).toBe(true);
    expect(applied.some((t) => !t.ok)).toBe(true); // some transfers were refused for insufficient funds, and they moved nothing

    // Node 4 is a voter that installed the snapshot; all four nodes hold the same balances.
    const status4 = (await cluster.status(4)) as { members: { voters: number[] } };
    expect(status4.members.voters).toEqual([1, 2, 3, 4]);
    const metrics4 = await (await fetch(`${cluster.urlOf(4)}/metrics`)).text();
    expect(Number(/^raft_snapshots_installed_total (\d+)/m.exec(metrics4)?.[1])).toBeGreaterThanOrEqual(1);
    // Event-loop health is exported: a blocked loop shows there first.
    expect(Number(/^nodejs_eventloop_lag_p99_seconds ([\d.e-]+)/m.exec(metrics4)?.[1])).toBeGreaterThan(0);
    for (const id of [1, 2, 3, 4]) {
      await cluster.waitFor(`node ${id} to apply ${book.index}`, async () => ((await cluster.status(id)) as { appliedIndex: number }).appliedIndex >= book.index);
      const stale = (await (await fetch(`${cluster.urlOf(id)}/accounts?consistency=stale`)).json()) as { accounts: Record<string, number> };
      expect(stale.accounts, `node ${id}`).toEqual(book.accounts);
    }

    // The dashboard served by a live node shows the four members and the leader.
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      await page.goto(`${cluster.urlOf(1)}/`);
      await expect.poll(() => page.locator("[data-node-id]").count(), { timeout: 15_000 }).toBe(4);
      const leader = (await cluster.leader()) as number;
      await expect.poll(() => page.locator(`[data-node-id="${leader}"] [data-field="role"]`).textContent(), { timeout: 15_000 }).toBe("leader");
      await expect.poll(() => page.locator('[data-node-id="4"] [data-field="membership"]').textContent(), { timeout: 15_000 }).toBe("voter");
      const screenshot = fileURLToPath(new URL("../test-output/dashboard-live.png", import.meta.url));
      await mkdir(dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
