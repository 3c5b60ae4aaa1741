// A closed-loop load generator over HTTP/1.1 keep-alive, the same for every
// system: each client sends one write, waits for its answer, sends the next.
// Throughput is then what the system sustains at that concurrency, and latency
// is what a client sees (including a redirect to the leader).
import { performance } from "node:perf_hooks";
import { Pools } from "./http-post.js";
import { sleep } from "./processes.js";
import { percentile } from "./stats.js";

export interface Attempt {
  url: URL;
  body: string;
}

/** What an answer means: a write done, the same body to send elsewhere (a redirect), or a failed write. */
export type Verdict = { kind: "write" } | { kind: "redirect"; url: URL } | { kind: "error"; reason: string };

/** One client's workload: the system-specific half of the loop. */
export interface LoadClient {
  next(): Attempt;
  judge(status: number, body: string): Verdict;
}

export interface LoadOptions {
  clients: number;
  warmupMs: number;
  measureMs: number;
  client: (i: number) => LoadClient;
  /** Called when the measured window opens and when it closes (e.g. to scrape metrics); awaited before returning. */
  atWindowStart?: () => Promise<void>;
  atWindowEnd?: () => Promise<void>;
}

export interface LoadResult {
  clients: number;
  seconds: number;
  /** 2xx answers that arrived inside the measured window. */
  writes: number;
  writesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Error counts by reason (status and error code, or the socket error). */
  errorKinds: Record<string, number>;
  redirects: number;
}

const requestTimeoutMs = 10_000;
const maxRedirects = 3;
/** After a failed write a client pauses, so a refusing node is not spun on. */
const errorPauseMs = 20;

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  // One socket per client and host, kept for the whole run: no connection setup is measured.
  const pools = new Pools(o.clients);
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let writes = 0;
  let errors = 0;
  let redirects = 0;
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let stopping = false;
  const inWindow = (t: number) => t >= windowStart && t <= windowEnd;

  async function loop(client: LoadClient): Promise<void> {
    while (!stopping) {
      const attempt = client.next();
      const start = performance.now();
      let url = attempt.url;
      let verdict: Verdict;
      for (let hop = 0; ; hop++) {
        try {
          const answer = await pools.post(url, attempt.body, requestTimeoutMs);
          verdict = client.judge(answer.status, answer.body);
        } catch (error) {
          verdict = { kind: "error", reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
        }
        if (verdict.kind !== "redirect") break;
        if (inWindow(performance.now())) redirects++;
        if (hop === maxRedirects) {
          verdict = { kind: "error", reason: "too many redirects" };
          break;
        }
        url = verdict.url;
      }
      const end = performance.now();
      if (!inWindow(end)) {
        if (verdict.kind === "error") await sleep(errorPauseMs);
        continue;
      }
      if (verdict.kind === "write") {
        writes++;
        latencies.push(end - start);
      } else if (verdict.kind === "error") {
        errors++;
        errorKinds[verdict.reason] = (errorKinds[verdict.reason] ?? 0) + 1;
        await sleep(errorPauseMs);
      }
    }
  }

  const loops = Array.from({ length: o.clients }, (_, i) => loop(o.client(i)));
  await sleep(o.warmupMs);
  windowStart = performance.now();
  const started = o.atWindowStart?.();
  await sleep(o.measureMs);
  windowEnd = performance.now();
  const ended = o.atWindowEnd?.();
  stopping = true;
  await Promise.all([...loops, started, ended]);
  await pools.close();
  const seconds = (windowEnd - windowStart) / 1000;
  return {
    clients: o.clients,
    seconds,
    writes,
    writesPerSecond: writes / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors,
    errorKinds,
    redirects,
  };
}
