import type { StatusView } from "../http/views.js";

/** A JSON answer from a node. */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  url: string;
}

/** Answers that mean "not now, maybe elsewhere": nothing definite happened, so the same request is sent again (writes carry a requestId, the admin routes are idempotent). */
const retryable = new Set(["NoLeader", "NotLeader", "Unavailable", "Timeout", "ProposalDropped", "Busy", "Stopped", "ConfigChangeInProgress"]);

/** Each attempt's own limit: a write may wait ~10 s on the leader; a read or status answers at once or not at all. */
const attemptMs = { read: 3_000, write: 12_000 };
/** How long a status probe of every member waits for answers. */
const probeMs = 1_500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RequestOptions {
  /** Ask this node only (its own status or snapshot), still retrying until the deadline. */
  node?: string;
  /** Also retry these error codes (e.g. `NotCaughtUp` while a learner catches up). */
  retryOn?: readonly string[];
  /** Any member may answer (a status, a stale read): no need to find the leader first. */
  anyMember?: boolean;
  /** At most this many attempts (default: until the deadline). */
  attempts?: number;
}

/** Raised when the deadline passes without a definite answer; says what was last heard. */
export class DeadlineError extends Error {
  override readonly name = "DeadlineError";
}

/**
 * Talks to a cluster through any of its current members, within one deadline
 * for the whole command. Each request goes to the leader if one is known
 * (a 421 names it), otherwise round the members in turn, wrapping round and
 * waiting a little after each round, so an election is waited out rather
 * than taken for an outage. The members are the cluster's current membership
 * (`memberUrls` of the first status heard), not the seeds it started from,
 * so removed nodes are not asked and nodes added later are.
 */
export class ApiClient {
  private members: string[];
  private leader: string | undefined;

  constructor(
    seeds: readonly string[],
    readonly deadline: number,
  ) {
    if (seeds.length === 0) throw new Error("no node URL: pass --url or --dir");
    this.members = [...new Set(seeds)];
  }

  /** The URLs this client asks: the current members once a status named them, the seeds before. */
  get urls(): readonly string[] {
    return this.members;
  }

  get remainingMs(): number {
    return this.deadline - Date.now();
  }

  /** The current members' URLs, by id, from a member's status (the leader's when it can be had). */
  async membership(): Promise<Map<number, string>> {
    const status = await this.leaderStatus();
    return new Map(Object.entries(status.memberUrls).map(([id, url]) => [Number(id), url]));
  }

  /** The leader's GET /status, waiting out an election until the deadline. */
  async leaderStatus(): Promise<StatusView> {
    for (;;) {
      const status = await this.findLeader();
      if (status !== undefined) return status;
      if (this.remainingMs <= 0) throw new DeadlineError(`no leader answered within the deadline (asked ${this.members.join(", ")})`);
      await sleep(Math.min(150, this.remainingMs));
    }
  }

  /**
   * Asks every member for its status at once and takes the answer of the one
   * that leads (the highest term if two claim it), so a member that is down
   * or frozen costs no more than the others' answers. Learns the membership
   * from it. `undefined` while no member leads.
   */
  private async findLeader(): Promise<StatusView | undefined> {
    const timeout = Math.max(1, Math.min(probeMs, this.remainingMs));
    const answers = await Promise.all(
      this.members.map(async (url) => {
        try {
          const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(timeout) });
          return res.ok ? { url, status: (await res.json()) as StatusView } : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    let best: { url: string; status: StatusView } | undefined;
    let freshest: StatusView | undefined;
    for (const a of answers) {
      if (a === undefined) continue;
      if (a.status.role === "leader" && (best === undefined || a.status.term > best.status.term)) best = a;
      if (freshest === undefined || a.status.term > freshest.term) freshest = a.status;
    }
    // The membership as the leader knows it, or else as the member of the highest term does (during an election).
    const known = best?.status.memberUrls ?? freshest?.memberUrls ?? {};
    if (Object.keys(known).length > 0) this.members = Object.values(known);
    if (best === undefined) return undefined;
    this.leader = best.url;
    return best.status;
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    let lastHeard = "nothing";
    let turn = 0;
    for (let attempt = 0; options.attempts === undefined || attempt < options.attempts; attempt++) {
      // No leader known: ask every member at once rather than one by one (a frozen one would hold the request).
      if (options.node === undefined && options.anyMember !== true && this.leader === undefined && (await this.findLeader()) === undefined) {
        lastHeard = `no member says it leads (an election may be under way; asked ${this.members.join(", ")})`;
        await sleep(Math.min(200, Math.max(0, this.remainingMs)));
        if (this.remainingMs <= 0) break;
        continue;
      }
      const url = options.node ?? this.leader ?? this.members[turn % this.members.length];
      if (url === undefined) throw new Error("no member to ask");
      const remaining = this.remainingMs;
      if (remaining <= 0) break;
      try {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: body === undefined ? {} : { "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(Math.max(1, Math.min(remaining, method === "GET" ? attemptMs.read : attemptMs.write))),
        });
        const answer = (await res.json()) as T & { error?: string; reason?: string; leaderUrl?: string | null; memberUrls?: Record<string, string> };
        // A status names the current members: ask those from now on.
        if (answer.memberUrls !== undefined && Object.keys(answer.memberUrls).length > 0) this.members = Object.values(answer.memberUrls);
        const code = answer.error;
        if (code === undefined || !(retryable.has(code) || options.retryOn?.includes(code) === true)) {
          if (res.status < 500 && options.node === undefined) this.leader = url;
          return { status: res.status, body: answer, url };
        }
        lastHeard = `${url} answered ${res.status} ${code}${answer.reason !== undefined ? `: ${answer.reason}` : ""}`;
        if (res.status === 421 && typeof answer.leaderUrl === "string" && answer.leaderUrl !== url) {
          this.leader = answer.leaderUrl; // follow the hint at once
          if (!this.members.includes(answer.leaderUrl)) this.members.push(answer.leaderUrl);
          continue;
        }
      } catch (error) {
        lastHeard = `${url}: ${(error as Error).name === "TimeoutError" ? "no answer in time" : (((error as Error).cause as Error | undefined)?.message ?? (error as Error).message)}`;
      }
      // Nothing definite from this node: ask the next, and pause after each full round (an election takes a moment).
      this.leader = undefined;
      turn++;
      if (options.node !== undefined || turn % this.members.length === 0) await sleep(Math.min(250, Math.max(0, this.remainingMs)));
    }
    throw new DeadlineError(`no definite answer to ${method} ${path} within the deadline; last: ${lastHeard}`);
  }
}
