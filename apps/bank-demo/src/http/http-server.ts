import { createServer, type Server } from "node:http";
import type { Logger } from "@raft/core/contracts";
import type { BankNode } from "../node/bank-node.js";
import { errorResponse } from "./error-response.js";
import { sendJson } from "./json-io.js";
import { bankRoutes } from "./routes.js";

/** Serves the node's HTTP API; a failing request is answered with a typed error and never takes the node down. */
export async function startHttpServer(node: BankNode, host: string, port: number, logger: Logger): Promise<Server> {
  const router = bankRoutes(node);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = router.match(req.method ?? "GET", url.pathname);
    if (match === "not-found") return sendJson(res, 404, { error: "NotFound", reason: `no route ${url.pathname}` });
    if (match === "method-not-allowed") return sendJson(res, 405, { error: "MethodNotAllowed", reason: `${req.method} ${url.pathname}` });
    Promise.resolve(match.handler({ req, res, params: match.params, query: url.searchParams })).catch((error: unknown) => {
      const answer = errorResponse(error, node);
      const fields = { method: req.method, path: url.pathname, status: answer.status, error: answer.body.error, reason: answer.body.reason };
      if (answer.status >= 500) logger.warn("request failed", fields);
      else if (answer.status === 400 || answer.status === 413) logger.info("bad request refused", fields);
      if (!res.headersSent) sendJson(res, answer.status, answer.body);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
