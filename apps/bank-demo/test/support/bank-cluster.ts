import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePortRange } from "@raft/core/testing";
import { ApiClient } from "../../src/client/api-client.js";
import { isNodeProcess } from "../../src/cluster/cluster-layout.js";

/** The node ids a test may use: dispose() looks for a pid under each. */
const nodeIds = [1, 2, 3, 4, 5, 6, 7, 8];

export const cli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/**
 * A bank cluster started the way a user starts it (`bank-demo cluster`),
 * plus whatever else the test spawns. `dispose()` kills every process by pid,
 * including nodes recorded under the cluster directory, even after a failure.
 */
export class BankCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "bank-e2e-"));
  readonly spawned: ChildProcess[] = [];
  basePort = 0;
  output = "";
  /** The `bank-demo cluster` process (the supervisor). */
  supervisor: ChildProcess | undefined;

  urlOf(id: number): string {
    return `http://127.0.0.1:${this.basePort + 2 * (id - 1) + 1}`;
  }

  /** A client starting from nodes `ids`; its one deadline is far enough for a whole test. */
  client(ids: number[], deadlineMs = 10 * 60_000): ApiClient {
    return new ApiClient(
      ids.map((id) => this.urlOf(id)),
      Date.now() + deadlineMs,
    );
  }

  pidOf(id: number): number {
    return Number(readFileSync(join(this.dir, String(id), "pid"), "utf8").trim());
  }

  run(args: string[]): ChildProcess {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.output += d.toString()));
    this.spawned.push(child);
    return child;
  }

  /** Runs a CLI command to completion: its exit code, output and duration. */
  async cli(args: string[]): Promise<{ code: number | null; out: string; ms: number }> {
    const started = Date.now();
    const child = this.run(args);
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    return { code, out, ms: Date.now() - started };
  }

  /** Runs a CLI command to completion; rejects with its output if it fails. */
  async runToEnd(args: string[]): Promise<string> {
    const child = this.run(args);
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    if (code !== 0) throw new Error(`bank-demo ${args.join(" ")} exited with ${code}:\n${out}`);
    return out;
  }

  /** Starts `nodes` nodes; the free port range also covers the nodes a test adds later, up to id `maxId`. */
  async start(nodes: number, transport: "grpc" | "ws", maxId = nodes + 2): Promise<void> {
    this.basePort = await freePortRange(2 * maxId);
    this.supervisor = this.run(["cluster", "--nodes", String(nodes), "--dir", this.dir, "--base-port", String(this.basePort), "--transport", transport]);
    await this.waitFor("a leader", async () => (await this.leader()) !== undefined, 30_000);
  }

  async status(id: number): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await fetch(`${this.urlOf(id)}/status`, { signal: AbortSignal.timeout(1000) });
      return (await res.json()) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  async leader(ids = [1, 2, 3, 4, 5, 6]): Promise<number | undefined> {
    for (const id of ids) if ((await this.status(id))?.role === "leader") return id;
    return undefined;
  }

  async waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await cond()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}\n${this.output.slice(-4000)}`);
  }

  /** The last lines of every node's log, for a failure report. */
  logTails(lines = 40): string {
    let out = "";
    for (const id of nodeIds) {
      try {
        const text = readFileSync(join(this.dir, String(id), "node.log"), "utf8")
          .trimEnd()
          .split("\n");
        out += `--- node ${id} ---\n${text.slice(-lines).join("\n")}\n`;
      } catch {
        // no such node
      }
    }
    return out;
  }

  async dispose(): Promise<void> {
    const pids = new Set<number>();
    for (const id of nodeIds) {
      try {
        const pid = this.pidOf(id);
        if (isNodeProcess(this.dir, id, pid)) pids.add(pid); // never a stranger that reused a stale pid
      } catch {
        // never started
      }
    }
    for (const c of this.spawned) if (c.pid !== undefined && c.exitCode === null) pids.add(c.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGCONT"); // a test may have stopped it
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
