import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import type { BankResult } from "@raft/demo-bank-app";
import { dashboardPage } from "../dashboard/page.js";
import type { BankNode } from "../node/bank-node.js";
import { clusterView } from "./cluster-view.js";
import { HttpError, notFound } from "./http-error.js";
import { adminRoutes } from "./admin-routes.js";
import { accountParams, openAccountBody, readQuery, requestIdParams, transferBody } from "./request-schemas.js";
import { statusView } from "./status-view.js";
import type { ZodTypeProvider } from "./zod-validation.js";

/** Refusals a write can answer with, by the bank's error code. */
const writeRefusal: Record<string, number> = { InsufficientFunds: 422, UnknownAccount: 422, LimitExceeded: 422, AccountExists: 409, RequestIdReused: 409, Malformed: 400 };

function refusal(result: Extract<BankResult, { ok: false }>): HttpError {
  return new HttpError(writeRefusal[result.error] ?? 422, { error: result.error, index: result.index, duplicate: result.duplicate });
}

const methods: HTTPMethods[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** 405 for a known path asked with another method (Fastify alone would answer 404). */
function methodNotAllowed(app: FastifyInstance, routes: Map<string, Set<string>>): void {
  for (const [url, taken] of routes) {
    const others = methods.filter((m) => !taken.has(m));
    app.route({ method: others, url, handler: (request: FastifyRequest, reply: FastifyReply) => reply.code(405).send({ error: "MethodNotAllowed", reason: `${request.method} ${url}` }) });
  }
}

/** The node's HTTP API (see the README for each route). */
export function bankRoutes(base: FastifyInstance, node: BankNode): void {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const bank = node.bank;
  const routes = new Map<string, Set<string>>();
  app.addHook("onRoute", (route) => {
    const set = routes.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) set.add(m);
    routes.set(route.url, set);
  });
  const page = dashboardPage();

  app.get("/", (_request, reply) => reply.type("text/html; charset=utf-8").send(page));
  app.get("/status", () => statusView(node));
  app.get("/cluster", () => clusterView(node));
  app.get("/metrics", async (_request, reply) => reply.type(node.metrics.registry.contentType).send(await node.metrics.registry.metrics()));

  app.post("/accounts", { schema: { body: openAccountBody } }, async (request, reply) => {
    const body = request.body;
    const result = await node.execute({ type: "open", requestId: body.requestId ?? `open-${randomUUID()}`, id: body.id, balance: body.balance });
    if (!result.ok) throw refusal(result);
    return reply.code(201).send({ index: result.index, duplicate: result.duplicate });
  });
  app.post("/transfers", { schema: { body: transferBody } }, async (request) => {
    const result = await node.execute({ type: "transfer", ...request.body });
    if (!result.ok) throw refusal(result);
    return { index: result.index, duplicate: result.duplicate };
  });
  app.get("/transfers/:requestId", { schema: { params: requestIdParams } }, async (request) => {
    await node.readBarrier();
    const { requestId } = request.params;
    const record = bank.request(requestId);
    if (record === undefined) return { requestId, applied: false };
    const r = record.result;
    return { requestId, applied: true, index: record.index, ...(r.ok ? { ok: true } : { ok: false, error: r.error }) };
  });
  app.get("/requests", { schema: { querystring: readQuery } }, async (request) => {
    if (request.query.consistency !== "stale") await node.readBarrier();
    const requests = [...bank.requests()].map((r) => ({ requestId: r.requestId, index: r.index, ...(r.result.ok ? { ok: true } : { ok: false, error: r.result.error }) }));
    return { index: bank.appliedIndex(), requests };
  });
  app.get("/accounts", { schema: { querystring: readQuery } }, async (request) => {
    if (request.query.consistency !== "stale") await node.readBarrier();
    const accounts: Record<string, number> = {};
    for (const a of bank.accounts()) accounts[a.id] = a.balance;
    return { index: bank.appliedIndex(), accounts, total: bank.total() };
  });
  app.get("/accounts/:id", { schema: { params: accountParams, querystring: readQuery } }, async (request) => {
    if (request.query.consistency !== "stale") await node.readBarrier();
    const { id } = request.params;
    const balance = bank.balance(id);
    if (balance === undefined) throw notFound(`no account ${id}`);
    return { index: bank.appliedIndex(), id, balance };
  });
  adminRoutes(app, node);
  methodNotAllowed(base, routes);
}
