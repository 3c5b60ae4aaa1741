// One POST over a keep-alive agent with node:http: fetch (undici) pools per
// origin on its own terms, and the load generator needs its sockets to be its own.
import type { Agent } from "node:http";
import { request } from "node:http";

export interface HttpAnswer {
  status: number;
  body: string;
}

export function post(agent: Agent, url: URL, body: string, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, timeout: timeoutMs, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

/** A GET for setup and scrapes (not measured), with a short timeout. */
export async function getText(url: string, timeoutMs = 2_000): Promise<HttpAnswer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}
