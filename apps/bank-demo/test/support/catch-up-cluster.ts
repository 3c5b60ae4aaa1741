import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePortRange, NodeChild, TcpProxy } from "@raft/core/testing";
import type { NodeConfigInput } from "../../src/config/node-config.js";

const cli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** The part of `GET /status` the catch-up test reads. */
export interface NodeStatus {
  id: number;
  role: string;
  term: number;
  leaderId: number | null;
  commitIndex: number;
  appliedIndex: number;
  log: { firstIndex: number; lastIndex: number };
  snapshot: { index: number } | null;
}

/** A role change a node logged (pino JSON on its stdout), with the time the test read it. */
export interface RoleChange {
  node: number;
  role: string;
  term: number;
  at: number;
}

/**
 * Five bank node processes (`bank-demo node --config FILE`, SQLite log, disk
 * snapshots, gRPC), each config written by the test. Every Raft connection to
 * and from node `isolated` goes through a `TcpProxy` of the test's, one per
 * ordered pair (gRPC opens one stream per direction: node a dials node b
 * through the proxy `a→b`): the founding voters carry no addresses in their
 * membership, so the transports dial the configured `peers`, and those are
 * the proxies. Cutting the proxies cuts the node off while its HTTP API stays
 * reachable. `dispose()` kills every process by pid and closes the proxies,
 * even after a failure.
 */
export class CatchUpCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "bank-catch-up-"));
  readonly ids: readonly number[] = [1, 2, 3, 4, 5];
  private readonly children = new Map<number, NodeChild>();
  /** Every process started, earlier incarnations of a restarted node included, for their output. */
  private readonly started: { id: number; child: NodeChild }[] = [];
  private readonly proxies = new Map<string, TcpProxy>();
  private basePort = 0;

  constructor(
    readonly isolated: number,
    private readonly tuning: NonNullable<NodeConfigInput["tuning"]>,
    /** Node flags for the node processes (e.g. `--cpu-prof --cpu-prof-dir=D` to profile them; profiles are written on a clean exit, see `terminate`). */
    private readonly nodeFlags: readonly string[] = [],
  ) {}

  raftAddress(id: number): string {
    return `127.0.0.1:${this.basePort + 2 * (id - 1)}`;
  }

  urlOf(id: number): string {
    return `http://127.0.0.1:${this.basePort + 2 * (id - 1) + 1}`;
  }

  /** Picks the ports, starts the proxies and writes every node's config. */
  async prepare(): Promise<void> {
    this.basePort = await freePortRange(2 * this.ids.length);
    for (const peer of this.ids) {
      if (peer === this.isolated) continue;
      this.proxies.set(`${peer}->${this.isolated}`, await TcpProxy.listen(this.raftAddress(this.isolated)));
      this.proxies.set(`${this.isolated}->${peer}`, await TcpProxy.listen(this.raftAddress(peer)));
    }
    for (const id of this.ids) {
      const peers: Record<string, string> = {};
      for (const peer of this.ids) {
        if (peer === id) continue;
        const proxy = this.proxies.get(`${id}->${peer}`);
        peers[String(peer)] = proxy?.address ?? this.raftAddress(peer);
      }
      const config: NodeConfigInput = {
        id,
        clusterId: "bank-catch-up",
        dataDir: join(this.dir, String(id)),
        port: this.basePort + 2 * (id - 1),
        transport: "grpc",
        log: "sqlite",
        snapshots: "disk",
        voters: [...this.ids],
        peers,
        tuning: this.tuning,
      };
      mkdirSync(config.dataDir, { recursive: true });
      writeFileSync(this.configFile(id), `${JSON.stringify(config, null, 2)}\n`);
    }
  }

  private configFile(id: number): string {
    return join(this.dir, String(id), "config.json");
  }

  /** Starts node `id` (again, after `kill`) from its config and data directory. */
  start(id: number): void {
    if (this.children.get(id)?.alive === true) throw new Error(`node ${id} is already running`);
    rmSync(this.pidFile(id), { force: true });
    // NodeChild runs `node <script> <args>`: node's own flags (e.g. --cpu-prof) can stand first.
    const [first, ...rest] = [...this.nodeFlags, cli, "node", "--config", this.configFile(id)];
    const child = new NodeChild(first as string, rest);
    this.children.set(id, child);
    this.started.push({ id, child });
  }

  /** SIGKILL by pid; resolves once the process is gone. */
  async kill(id: number): Promise<void> {
    await this.children.get(id)?.kill();
  }

  private pidFile(id: number): string {
    return join(this.dir, String(id), "pid");
  }

  /** The pid of node `id`, from the file it writes once it serves HTTP; waits for it. */
  async pidOf(id: number, timeoutMs = 30_000): Promise<number> {
    let pid = Number.NaN;
    await this.waitFor(
      `node ${id}'s pid file`,
      () => {
        if (this.children.get(id)?.alive !== true) throw new Error(`node ${id} exited: ${this.children.get(id)?.stderr.slice(-2_000)}`);
        if (existsSync(this.pidFile(id))) pid = Number(readFileSync(this.pidFile(id), "utf8").trim());
        return Number.isSafeInteger(pid) && pid > 0;
      },
      timeoutMs,
      20,
    );
    return pid;
  }

  /** Lowers node `id`'s CPU priority (a nice value, 0–19) once it runs: every thread's (see `reniceProcess`). */
  async renice(id: number, nice: number): Promise<void> {
    reniceProcess(await this.pidOf(id), nice);
  }

  /** SIGTERM by pid: a clean stop, which writes a CPU profile if one is being taken. */
  async terminate(id: number): Promise<void> {
    const child = this.children.get(id);
    if (child?.alive !== true) return;
    try {
      process.kill(await this.pidOf(id, 1_000), "SIGTERM");
    } catch {
      // no pid file yet or gone already: dispose() kills it
    }
    await Promise.race([child.closed, new Promise((r) => setTimeout(r, 10_000))]);
  }

  /** Resets every connection to and from the isolated node and refuses new ones. */
  cut(): void {
    for (const proxy of this.proxies.values()) proxy.cut();
  }

  restore(): void {
    for (const proxy of this.proxies.values()) proxy.restore();
  }

  /** Bytes relayed to and from the isolated node so far, both ways. */
  proxiedBytes(): number {
    let total = 0;
    for (const proxy of this.proxies.values()) total += proxy.stats().bytes.clientToServer + proxy.stats().bytes.serverToClient;
    return total;
  }

  async status(id: number): Promise<NodeStatus | undefined> {
    try {
      const res = await fetch(`${this.urlOf(id)}/status`, { signal: AbortSignal.timeout(2_000) });
      return res.ok ? ((await res.json()) as NodeStatus) : undefined;
    } catch {
      return undefined;
    }
  }

  async metrics(id: number): Promise<string | undefined> {
    try {
      const res = await fetch(`${this.urlOf(id)}/metrics`, { signal: AbortSignal.timeout(2_000) });
      return res.ok ? await res.text() : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every "role changed" line the nodes logged at or after `since` (epoch ms), by every incarnation, in the order each logged them. */
  roleChanges(since: number): RoleChange[] {
    const changes: RoleChange[] = [];
    for (const { id: node, child } of this.started) {
      for (const line of child.lines) {
        if (!line.includes('"role changed"')) continue;
        try {
          const entry = JSON.parse(line) as { role: string; term: number; time: number };
          if (entry.time >= since) changes.push({ node, role: entry.role, term: entry.term, at: entry.time });
        } catch {
          // not a JSON line
        }
      }
    }
    return changes;
  }

  /** Lines a node logged (every incarnation) that match `test`. */
  linesOf(id: number, test: (line: string) => boolean): string[] {
    return this.started.filter((s) => s.id === id).flatMap((s) => s.child.lines.filter(test));
  }

  /** The last lines of every node's output, for a failure report. */
  logTails(lines = 30): string {
    let out = "";
    for (const { id, child } of this.started) out += `--- node ${id} ---\n${child.lines.slice(-lines).join("\n")}\n${child.stderr.slice(-2_000)}`;
    return out;
  }

  async waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, pollMs = 100): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.children.values()].map((c) => c.kill()));
    await Promise.allSettled([...this.proxies.values()].map((p) => p.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Sets the nice value of every thread of process `pid`. On Linux a nice value
 * belongs to a thread: setpriority(pid) alone leaves the threads already
 * started (V8's, libuv's, a worker's) as they were; threads started later
 * inherit it from the main thread. Elsewhere only the process is set.
 */
export function reniceProcess(pid: number, nice: number): void {
  let tids = [pid];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    // no /proc: the process alone
  }
  for (const tid of tids) {
    try {
      setPriority(tid, nice);
    } catch {
      // the thread ended meanwhile
    }
  }
}
