import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ControlReply, ControlRequest, ProcessConfig, ProcessStatus } from "../../src/process-config.js";
import { freePortRange } from "@raft/core/testing";

const script = fileURLToPath(new URL("../../dist/node-process.js", import.meta.url));

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** A node process and the IPC channel that drives it. */
class NodeProcess {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  readonly output: string[] = [];
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (d: Buffer) => this.output.push(d.toString()));
    child.stderr?.on("data", (d: Buffer) => this.output.push(d.toString()));
    child.on("message", (reply: ControlReply) => {
      const p = this.pending.get(reply.seq);
      if (p === undefined) return;
      this.pending.delete(reply.seq);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code, leaderHint: reply.error.leaderHint }));
    });
    this.exited = new Promise((resolve) =>
      child.on("exit", () => {
        for (const p of this.pending.values()) p.reject(new Error("the node process exited"));
        this.pending.clear();
        resolve();
      }),
    );
  }

  request(op: "status"): Promise<ProcessStatus>;
  request(op: "propose", value: string): Promise<number>;
  request(op: "read"): Promise<number>;
  request(op: "values"): Promise<string[]>;
  request(op: ControlRequest["op"], value?: string): Promise<unknown> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.child.send(op === "propose" ? { seq, op, value: value ?? "" } : { seq, op });
    });
  }
}

/**
 * Real node processes on 127.0.0.1, one per id, each with its own directory.
 * Everything started is killed by pid in `dispose()`, even after a failure.
 */
export class ProcessCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "raft-e2e-"));
  readonly processes = new Map<number, NodeProcess>();
  private readonly ports = new Map<number, number>();

  constructor(
    readonly ids: readonly number[],
    private readonly transport: "grpc" | "ws",
    private readonly log: "sqlite" | "memory",
  ) {}

  async start(id: number): Promise<void> {
    if (this.ports.size === 0) {
      const base = await freePortRange(this.ids.length);
      this.ids.forEach((peer, i) => this.ports.set(peer, base + i));
    }
    const dir = join(this.dir, String(id));
    mkdirSync(dir, { recursive: true });
    const peers = Object.fromEntries(this.ids.filter((p) => p !== id).map((p) => [String(p), `127.0.0.1:${this.ports.get(p)}`]));
    const config: ProcessConfig = { id, clusterId: "e2e", voters: [...this.ids], dir, transport: this.transport, log: this.log, port: this.ports.get(id) as number, peers, snapshotEntries: 200 };
    const configPath = join(dir, "config.json");
    writeFileSync(configPath, JSON.stringify(config));
    // No inherited execArgv: the test runner's flags would make the child resolve workspace packages to TypeScript sources.
    const child = fork(script, [configPath], { stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv: [] });
    const node = new NodeProcess(child);
    this.processes.set(id, node);
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`node ${id} exited with ${code} before starting:\n${node.output.join("")}`)));
    });
  }

  node(id: number): NodeProcess {
    const p = this.processes.get(id);
    if (p === undefined) throw new Error(`node ${id} is not running`);
    return p;
  }

  async kill(id: number): Promise<void> {
    const p = this.node(id);
    p.child.kill("SIGKILL");
    await p.exited;
    this.processes.delete(id);
  }

  async statuses(): Promise<ProcessStatus[]> {
    return Promise.all([...this.processes.values()].map((p) => p.request("status")));
  }

  /** The node every running node agrees leads, once they do. */
  async waitForLeader(timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const all = await this.statuses();
      const leader = all.find((s) => s.role === "leader");
      if (leader !== undefined && all.every((s) => s.leader === leader.id)) return leader.id;
      await sleep(50);
    }
    throw new Error(`no leader within ${timeoutMs} ms: ${JSON.stringify(await this.statuses())}`);
  }

  async waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await cond()) return;
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await this.statuses())}`);
  }

  /** Proposes through whichever node leads, following redirects; resolves with the index. */
  async propose(value: string, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let target = [...this.processes.keys()][0] as number;
    for (;;) {
      try {
        return await this.node(target).request("propose", value);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        const hint = (error as { leaderHint?: number }).leaderHint;
        target = hint !== undefined && hint !== 0 && this.processes.has(hint) ? hint : await this.waitForLeader();
      }
    }
  }

  async dispose(): Promise<void> {
    for (const p of this.processes.values()) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await Promise.all([...this.processes.values()].map((p) => p.exited));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
