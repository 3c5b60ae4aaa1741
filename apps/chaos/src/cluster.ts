import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { freePortRange, NodeChild } from "@raft/core/testing";
import { ProxyMesh } from "./proxy-mesh.js";

/** The bank demo's CLI: `bank-demo node --config FILE` is the node program every process runs, and its client commands change the membership. */
export const bankDemoCli = join(dirname(createRequire(import.meta.url).resolve("@raft/bank-demo/package.json")), "dist", "cli.js");

/** The part of a node's `GET /status` the harness reads. */
export interface NodeStatus {
  id: number;
  role: string;
  term: number;
  leaderId: number | null;
  commitIndex: number;
  appliedIndex: number;
  members: { voters: number[]; learners: number[] };
}

/** An HTTP answer from a node: its status and JSON body, or `undefined` when no answer came (refused, reset, timed out). */
export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export interface ChaosClusterOptions {
  /** Where node data, configs and logs go (`<dir>/<id>/`). */
  dir: string;
  /** Founding voters 1..nodes. */
  nodes: number;
  /** Ids nodes+1..nodes+spares may join later (each with its proxies ready). */
  spares: number;
  transport: "grpc" | "ws";
  /** The node configs' `tuning` section. */
  tuning: Record<string, number>;
}

/**
 * Bank node processes (`bank-demo node --config`, SQLite log, disk
 * snapshots) on 127.0.0.1, every Raft connection through the `ProxyMesh`.
 * Nodes are started, SIGKILLed, SIGSTOPped and SIGCONTed by pid;
 * `dispose()` kills every process it started and closes the proxies, also
 * after a failure.
 */
export class ChaosCluster {
  readonly founding: readonly number[];
  readonly ids: readonly number[];
  private readonly children = new Map<number, NodeChild>();
  /** Every process started, earlier incarnations included, for their output. */
  private readonly started: { id: number; child: NodeChild }[] = [];
  private readonly paused = new Set<number>();

  private constructor(
    private readonly o: ChaosClusterOptions,
    private readonly basePort: number,
    readonly mesh: ProxyMesh,
  ) {
    this.founding = Array.from({ length: o.nodes }, (_, i) => i + 1);
    this.ids = Array.from({ length: o.nodes + o.spares }, (_, i) => i + 1);
  }

  /** Picks the ports, starts the proxies and writes the founding nodes' configs. */
  static async create(o: ChaosClusterOptions): Promise<ChaosCluster> {
    const total = o.nodes + o.spares;
    const basePort = await freePortRange(2 * total);
    const mesh = await ProxyMesh.listen(
      Array.from({ length: total }, (_, i) => i + 1),
      (id) => raftAddress(basePort, id),
    );
    const cluster = new ChaosCluster(o, basePort, mesh);
    for (const id of cluster.founding) cluster.writeConfig(id, false);
    return cluster;
  }

  raftAddress(id: number): string {
    return raftAddress(this.basePort, id);
  }

  urlOf(id: number): string {
    return `http://127.0.0.1:${this.basePort + 2 * (id - 1) + 1}`;
  }

  /** The cluster directory, laid out as `bank-demo cluster` lays out its own (`<dir>/<id>/config.json`, `pid`), so the bank's client commands work on it. */
  get dir(): string {
    return this.o.dir;
  }

  dataDir(id: number): string {
    return join(this.o.dir, String(id));
  }

  /** Writes node `id`'s config: a founding voter, or (`join`) a node that waits to be added. */
  writeConfig(id: number, join: boolean): void {
    // A joining node configures no peers, so it accepts whoever leads when it is added (with peers configured it
    // would refuse callers it does not know yet, a leader added after the founding voters included).
    const peers: Record<string, string> = {};
    if (!join) for (const peer of this.founding) if (peer !== id) peers[String(peer)] = this.raftAddress(peer);
    const config = {
      id,
      clusterId: "chaos",
      dataDir: this.dataDir(id),
      port: this.basePort + 2 * (id - 1),
      transport: this.o.transport,
      log: "sqlite",
      snapshots: "disk",
      voters: [...this.founding],
      join,
      peers,
      dialVia: this.mesh.dialVia(id),
      tuning: this.o.tuning,
    };
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(this.configFile(id), `${JSON.stringify(config, null, 2)}\n`);
  }

  private configFile(id: number): string {
    return join(this.dataDir(id), "config.json");
  }

  private pidFile(id: number): string {
    return join(this.dataDir(id), "pid");
  }

  /** Starts node `id` (again, after a kill) from its config and data directory. */
  start(id: number): void {
    if (this.isRunning(id)) throw new Error(`node ${id} is already running`);
    rmSync(this.pidFile(id), { force: true });
    const child = new NodeChild(bankDemoCli, ["node", "--config", this.configFile(id)]);
    this.children.set(id, child);
    this.started.push({ id, child });
  }

  isRunning(id: number): boolean {
    return this.children.get(id)?.alive === true;
  }

  isPaused(id: number): boolean {
    return this.paused.has(id);
  }

  /** SIGKILL by pid (a paused node too); resolves once the process is gone. */
  async kill(id: number): Promise<void> {
    await this.children.get(id)?.kill();
    this.paused.delete(id);
  }

  /** SIGSTOP: the process keeps its sockets but does nothing until `resume`. False if it has no pid yet. */
  pause(id: number): boolean {
    const pid = this.pidOf(id);
    if (pid === undefined || !this.isRunning(id)) return false;
    process.kill(pid, "SIGSTOP");
    this.paused.add(id);
    return true;
  }

  resume(id: number): void {
    const pid = this.pidOf(id);
    if (this.paused.delete(id) && pid !== undefined && this.isRunning(id)) process.kill(pid, "SIGCONT");
  }

  /** The pid the node wrote once it served HTTP, if it has. */
  pidOf(id: number): number | undefined {
    if (!existsSync(this.pidFile(id))) return undefined;
    const pid = Number(readFileSync(this.pidFile(id), "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** One HTTP request to node `id`; `undefined` if no answer came within `timeoutMs`. */
  async request(id: number, method: string, path: string, body?: unknown, timeoutMs = 2_000): Promise<Reply | undefined> {
    try {
      const res = await fetch(`${this.urlOf(id)}${path}`, {
        method,
        signal: AbortSignal.timeout(timeoutMs),
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { text };
      }
      return { status: res.status, body: parsed };
    } catch {
      return undefined;
    }
  }

  async status(id: number, timeoutMs = 1_000): Promise<NodeStatus | undefined> {
    const reply = await this.request(id, "GET", "/status", undefined, timeoutMs);
    return reply?.status === 200 ? (reply.body as unknown as NodeStatus) : undefined;
  }

  /** The last lines every incarnation of every node printed (and its stderr), for a report. */
  logTails(lines = 20): string {
    let out = "";
    for (const { id, child } of this.started) out += `--- node ${id} ---\n${child.lines.slice(-lines).join("\n")}\n${child.stderr.slice(-1_000)}`;
    return out;
  }

  /** Lines any incarnation of any node printed that pass `test`, with the node's id. */
  linesMatching(test: (line: string) => boolean): { id: number; line: string }[] {
    return this.started.flatMap(({ id, child }) => child.lines.filter(test).map((line) => ({ id, line })));
  }

  /** Kills every process started (paused ones too) by pid and closes the proxies. */
  async dispose(): Promise<void> {
    await Promise.allSettled(this.started.map(({ child }) => child.kill()));
    this.paused.clear();
    await this.mesh.close();
  }
}

function raftAddress(basePort: number, id: number): string {
  return `127.0.0.1:${basePort + 2 * (id - 1)}`;
}
