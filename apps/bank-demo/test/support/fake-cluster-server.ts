import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeCluster } from "./fake-cluster.js";

export interface FakeClusterServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the dashboard page at GET / and the fake cluster's current picture at
 * GET /cluster, as node `self` of the real app would, on a free port of
 * 127.0.0.1. Lets the page be developed and tested without a running cluster.
 */
export async function startFakeClusterServer(cluster: FakeCluster, self: number, page: string): Promise<FakeClusterServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method === "GET" && path === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
    } else if (req.method === "GET" && path === "/cluster") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }).end(JSON.stringify(cluster.view(self)));
    } else {
      res.writeHead(404, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify({ error: "NotFound" }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The browser keeps its polling connection alive; without this, close() would wait for it.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
