import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import type { Logger } from "@raft/core/contracts";
import type { BankNode } from "../node/bank-node.js";
import { errorResponse } from "./error-response.js";
import { HttpError } from "./http-error.js";
import { bankRoutes } from "./routes.js";
import { maxBodyBytes, useZodValidation, type ZodTypeProvider } from "./zod-validation.js";

/** Request ids travel in paths (`GET /transfers/:requestId`); the router's default limit (100) is shorter than an id may be. */
const maxParamLength = 1024;

/** Fastify's own refusals (body too large, a malformed URL, …) as the API's typed errors. */
function frameworkError(error: FastifyError): HttpError | undefined {
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new HttpError(413, { error: "PayloadTooLarge", reason: `bodies are limited to ${maxBodyBytes} bytes` });
  if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500 && !(error instanceof HttpError))
    return new HttpError(error.statusCode, { error: "BadRequest", reason: error.message });
  return undefined;
}

/** Serves the node's HTTP API on Fastify; a failing request is answered with a typed error and never takes the node down. */
export async function startHttpServer(node: BankNode, host: string, port: number, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: maxBodyBytes, routerOptions: { maxParamLength } }).withTypeProvider<ZodTypeProvider>();
  useZodValidation(app);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = frameworkError(error) ?? errorResponse(error, node);
    const fields = { method: request.method, path: request.url, status: answer.status, error: answer.body.error, reason: answer.body.reason };
    if (answer.status >= 500) logger.warn("request failed", fields);
    else if (answer.status === 400 || answer.status === 413) logger.info("bad request refused", fields);
    return reply.code(answer.status).send(answer.body);
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: "NotFound", reason: `no route ${request.url.split("?")[0]}` }));
  bankRoutes(app, node);
  await app.listen({ host, port });
  return app;
}
