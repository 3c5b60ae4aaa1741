import { randomUUID } from "node:crypto";
import type { BankResult } from "@raft/demo-bank-app";
import { dashboardHtml } from "../dashboard/page.js";
import type { BankNode } from "../node/bank-node.js";
import { clusterView } from "./cluster-view.js";
import { HttpError, notFound } from "./http-error.js";
import { readJson, sendJson, sendText } from "./json-io.js";
import { leadershipBody, membersBody, openAccountBody, parseBody, transferBody } from "./request-schemas.js";
import { Router } from "./router.js";
import { statusView } from "./status-view.js";

/** Refusals a write can answer with, by the bank's error code. */
const writeRefusal: Record<string, number> = { InsufficientFunds: 422, UnknownAccount: 422, LimitExceeded: 422, AccountExists: 409, RequestIdReused: 409, Malformed: 400 };

function refusal(result: Extract<BankResult, { ok: false }>): HttpError {
  return new HttpError(writeRefusal[result.error] ?? 422, { error: result.error, index: result.index, duplicate: result.duplicate });
}

/** The node's HTTP API (see the README for each route). */
export function bankRoutes(node: BankNode): Router {
  const bank = node.bank;
  return new Router()
    .on("GET", "/", ({ res }) => sendText(res, 200, "text/html; charset=utf-8", dashboardHtml()))
    .on("GET", "/status", ({ res }) => sendJson(res, 200, statusView(node)))
    .on("GET", "/cluster", async ({ res }) => sendJson(res, 200, await clusterView(node)))
    .on("GET", "/metrics", async ({ res }) => sendText(res, 200, node.metrics.registry.contentType, await node.metrics.registry.metrics()))
    .on("POST", "/accounts", async ({ req, res }) => {
      const body = parseBody(openAccountBody, await readJson(req));
      const result = await node.execute({ type: "open", requestId: body.requestId ?? `open-${randomUUID()}`, id: body.id, balance: body.balance });
      if (!result.ok) throw refusal(result);
      sendJson(res, 201, { index: result.index, duplicate: result.duplicate });
    })
    .on("POST", "/transfers", async ({ req, res }) => {
      const body = parseBody(transferBody, await readJson(req));
      const result = await node.execute({ type: "transfer", ...body });
      if (!result.ok) throw refusal(result);
      sendJson(res, 200, { index: result.index, duplicate: result.duplicate });
    })
    .on("GET", "/transfers/:requestId", async ({ res, params }) => {
      await node.readBarrier();
      const requestId = params.requestId as string;
      const record = bank.request(requestId);
      if (record === undefined) return sendJson(res, 200, { requestId, applied: false });
      const r = record.result;
      sendJson(res, 200, { requestId, applied: true, index: record.index, ...(r.ok ? { ok: true } : { ok: false, error: r.error }) });
    })
    .on("GET", "/requests", async ({ res, query }) => {
      if (query.get("consistency") !== "stale") await node.readBarrier();
      const requests = [...bank.requests()].map((r) => ({ requestId: r.requestId, index: r.index, ...(r.result.ok ? { ok: true } : { ok: false, error: r.result.error }) }));
      sendJson(res, 200, { index: bank.appliedIndex(), requests });
    })
    .on("GET", "/accounts", async ({ res, query }) => {
      if (query.get("consistency") !== "stale") await node.readBarrier();
      const accounts: Record<string, number> = {};
      for (const a of bank.accounts()) accounts[a.id] = a.balance;
      sendJson(res, 200, { index: bank.appliedIndex(), accounts, total: bank.total() });
    })
    .on("GET", "/accounts/:id", async ({ res, params, query }) => {
      if (query.get("consistency") !== "stale") await node.readBarrier();
      const id = params.id as string;
      const balance = bank.balance(id);
      if (balance === undefined) throw notFound(`no account ${id}`);
      sendJson(res, 200, { index: bank.appliedIndex(), id, balance });
    })
    .on("POST", "/admin/snapshot", async ({ res }) => {
      const meta = await node.raft.takeSnapshot();
      sendJson(res, 200, { index: meta.index, sizeBytes: meta.size });
    })
    .on("POST", "/admin/members", async ({ req, res }) => {
      const body = parseBody(membersBody, await readJson(req));
      node.requireLeader();
      const membership =
        body.action === "add-learner" ? await node.raft.addLearner(body.id, body.address) : body.action === "promote" ? await node.raft.promote(body.id) : await node.raft.removeMember(body.id);
      sendJson(res, 200, { members: { voters: membership.voters, learners: membership.learners } });
    })
    .on("POST", "/admin/leadership", async ({ req, res }) => {
      const { to } = parseBody(leadershipBody, await readJson(req));
      node.requireLeader();
      node.raft.transferLeadership(to);
      const deadline = Date.now() + 5_000;
      while (node.raft.status().leader !== to && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const leaderId = node.raft.status().leader;
      if (leaderId !== to) throw new HttpError(503, { error: "Timeout", reason: `node ${to} did not take over within 5 s`, leaderId });
      sendJson(res, 200, { leaderId, leaderUrl: node.urlOf(leaderId) });
    });
}
