import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient, DeadlineError } from "../src/client/api-client.js";

type Handler = (method: string, path: string) => { status: number; body: unknown };

const servers: Server[] = [];

/** A stand-in node on a free port of 127.0.0.1 answering JSON from `handler`. */
async function fakeNode(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    const { status, body } = handler(req.method ?? "GET", req.url ?? "/");
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A URL nothing listens on: a node that is down. */
async function deadNode(): Promise<string> {
  const url = await fakeNode(() => ({ status: 200, body: {} }));
  const server = servers.pop() as Server;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}

const status = (role: string, term: number, memberUrls: Record<string, string>, leaderUrl: string | null = null) => ({ role, term, leaderUrl, memberUrls, members: { voters: [], learners: [] } });

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

describe("ApiClient", () => {
  it("waits out an election (503 NoLeader everywhere, a member down) and then writes to the new leader", async () => {
    const electedAt = Date.now() + 600;
    const urls: Record<string, string> = {};
    const node = (id: number) =>
      fakeNode((method, path) => {
        const leads = Date.now() >= electedAt && id === 3;
        if (path === "/status") return { status: 200, body: status(leads ? "leader" : "follower", 2, urls) };
        if (!leads) return { status: 503, body: { error: "NoLeader", leaderId: null, leaderUrl: null } };
        return { status: 200, body: { index: 7, duplicate: false, servedBy: id } };
      });
    urls["1"] = await deadNode();
    urls["2"] = await node(2);
    urls["3"] = await node(3);
    const client = new ApiClient([urls["1"], urls["2"]], Date.now() + 10_000);
    const answer = await client.request<{ servedBy: number }>("POST", "/transfers", { requestId: "r" });
    expect(answer.status).toBe(200);
    expect(answer.body.servedBy).toBe(3); // a member it learned of, not a seed
    expect(Date.now()).toBeGreaterThanOrEqual(electedAt);
  });

  it("follows a 421 to the leader it names", async () => {
    const leader = await fakeNode((_m, path) => (path === "/status" ? { status: 200, body: status("leader", 1, {}) } : { status: 200, body: { ok: true } }));
    const follower = await fakeNode((_m, path) =>
      path === "/status" ? { status: 200, body: status("follower", 1, {}, leader) } : { status: 421, body: { error: "NotLeader", leaderId: 1, leaderUrl: leader } },
    );
    const client = new ApiClient([follower], Date.now() + 5_000);
    const answer = await client.request("GET", "/accounts", undefined, { anyMember: true });
    expect(answer.url).toBe(leader);
  });

  it("returns a definite refusal at once, and gives up at its deadline saying what it last heard", async () => {
    const node = await fakeNode((_m, path) =>
      path === "/status"
        ? { status: 200, body: status("leader", 1, {}) }
        : path === "/accounts"
          ? { status: 409, body: { error: "AccountExists" } }
          : { status: 503, body: { error: "Timeout", reason: "no quorum" } },
    );
    const client = new ApiClient([node], Date.now() + 1_500);
    expect((await client.request("POST", "/accounts", {})).status).toBe(409);
    const started = Date.now();
    await expect(client.request("POST", "/transfers", {})).rejects.toThrow(DeadlineError);
    await expect(client.request("POST", "/transfers", {})).rejects.toThrow(/last: .* 503 Timeout: no quorum|within the deadline/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
