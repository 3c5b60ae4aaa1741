/** A JSON answer from a node. */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  url: string;
}

/** How long a request waits out an election (421 with no leader known) before giving up. */
const electionWaitMs = 10_000;

/**
 * Talks to a cluster through any of its nodes: a 421 (NotLeader) is followed
 * to the leader's URL, or retried while no leader is known (nothing was
 * executed, so retrying is safe); an unreachable node is skipped for the next one.
 */
export class ApiClient {
  private preferred: string | undefined;

  constructor(private readonly urls: readonly string[]) {
    if (urls.length === 0) throw new Error("no node URL: pass --url or --dir");
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, options: { node?: string } = {}): Promise<ApiResponse<T>> {
    const candidates = options.node !== undefined ? [options.node] : [...new Set([this.preferred, ...this.urls].filter((u): u is string => u !== undefined))];
    let lastError: unknown;
    const deadline = Date.now() + electionWaitMs;
    for (let hop = 0, i = 0; i < candidates.length && hop < 200; hop++) {
      const url = candidates[i] as string;
      try {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: body === undefined ? {} : { "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        const answer = (await res.json()) as T & { leaderUrl?: string | null };
        if (res.status === 421 && options.node === undefined && typeof answer.leaderUrl === "string" && answer.leaderUrl !== url) {
          candidates.splice(i, 0, answer.leaderUrl);
          continue;
        }
        if (res.status === 421 && options.node === undefined && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          i = (i + 1) % candidates.length; // ask around: another node may know the leader first
          continue;
        }
        if (res.status !== 421) this.preferred = url;
        return { status: res.status, body: answer, url };
      } catch (error) {
        lastError = error;
        i++;
      }
    }
    throw new Error(`no node answered ${method} ${path}: ${(lastError as Error)?.message ?? "too many redirects"}`);
  }
}
