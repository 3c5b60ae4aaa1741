import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import type { CatchUpCluster, NodeStatus } from "./catch-up-cluster.js";

/** The leader's event-loop delay over a window, from two scrapes of its `/metrics` (prom-client resets the histogram at each scrape). */
export interface LoopWindow {
  seconds: number;
  /** `nodejs_eventloop_lag_{p50,p90,p99,max}_seconds`, in ms: measured with a 10 ms timer, which they include (an idle loop reads ~10 ms). */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU the leader's process used over the window (`process_cpu_seconds_total`), in seconds per second. */
  cpu: number;
  /** The machine's 1-minute load average at the end. */
  load: number;
  /** The leader's durable log writes over the window: how many per second, and their mean duration in ms (`raft_log_append_seconds`). */
  savesPerSecond: number;
  saveMeanMs: number;
}

/**
 * Watches a running cluster in the background: every node's `/status` every
 * `statusMs` (roles, terms and leaders seen, per node). `mark()` scrapes the
 * leader's `/metrics` and answers its event-loop delay since the previous
 * mark: one window per phase. Nothing else may scrape the leader meanwhile.
 */
export class ClusterWatch {
  readonly roles = new Map<number, Set<string>>();
  readonly terms = new Map<number, Set<number>>();
  readonly leaders = new Map<number, Set<number | null>>();
  latest = new Map<number, NodeStatus>();
  polls = 0;
  private stopping = false;
  private tasks: Promise<void>[] = [];
  private lastMark: { at: number; cpu: number; saves: number; saveSeconds: number } | undefined;

  constructor(
    private readonly cluster: CatchUpCluster,
    private readonly leader: number,
    private readonly statusMs = 200,
  ) {}

  start(): void {
    this.tasks = [this.pollStatuses()];
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.tasks);
  }

  /** Ends the leader's current loop window and starts the next: undefined for the first mark (which only resets the histogram). */
  async mark(): Promise<LoopWindow | undefined> {
    const text = await this.cluster.metrics(this.leader);
    const at = performance.now();
    if (text === undefined) throw new Error(`the leader (node ${this.leader}) did not answer /metrics`);
    const cpu = gauge(text, "process_cpu_seconds_total");
    const saves = gauge(text, "raft_log_append_seconds_count");
    const saveSeconds = gauge(text, "raft_log_append_seconds_sum");
    const last = this.lastMark;
    this.lastMark = { at, cpu, saves, saveSeconds };
    if (last === undefined) return undefined;
    const seconds = (at - last.at) / 1000;
    const ms = (name: string) => gauge(text, `nodejs_eventloop_lag_${name}_seconds`) * 1000;
    return {
      seconds,
      p50Ms: ms("p50"),
      p90Ms: ms("p90"),
      p99Ms: ms("p99"),
      maxMs: ms("max"),
      cpu: (cpu - last.cpu) / seconds,
      load: loadavg()[0] ?? Number.NaN,
      savesPerSecond: (saves - last.saves) / seconds,
      saveMeanMs: ((saveSeconds - last.saveSeconds) / Math.max(1, saves - last.saves)) * 1000,
    };
  }

  /** A term other than `term`, or a role other than leader on the leader, seen so far: an election. */
  electionSeen(term: number): string | undefined {
    for (const [id, terms] of this.terms) if ([...terms].some((t) => t !== term)) return `node ${id} saw terms ${[...terms].join(", ")}`;
    for (const [id, roles] of this.roles) if (roles.has("candidate")) return `node ${id} became candidate`;
    const leaderRoles = this.roles.get(this.leader);
    if (leaderRoles !== undefined && [...leaderRoles].some((r) => r !== "leader")) return `the leader was seen as ${[...leaderRoles].join(", ")}`;
    return undefined;
  }

  private async pollStatuses(): Promise<void> {
    while (!this.stopping) {
      const next = performance.now() + this.statusMs;
      const statuses = await Promise.all(this.cluster.ids.map((id) => this.cluster.status(id)));
      for (const s of statuses) {
        if (s === undefined) continue; // a stopped node
        this.latest.set(s.id, s);
        add(this.roles, s.id, s.role);
        add(this.terms, s.id, s.term);
        add(this.leaders, s.id, s.leaderId);
      }
      this.polls++;
      await sleepUntil(next);
    }
  }
}

function add<T>(map: Map<number, Set<T>>, id: number, value: T): void {
  let set = map.get(id);
  if (set === undefined) map.set(id, (set = new Set()));
  set.add(value);
}

export function gauge(metrics: string, name: string): number {
  const match = new RegExp(`^${name} ([\\d.e+-]+)$`, "m").exec(metrics);
  return match === null ? Number.NaN : Number(match[1]);
}

async function sleepUntil(t: number): Promise<void> {
  const ms = t - performance.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}
