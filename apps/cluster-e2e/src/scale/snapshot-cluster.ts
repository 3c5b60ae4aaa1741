import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePortRange, TcpProxy } from "@raft/core/testing";
import { LocalS3, S3_KEYS } from "./local-s3.js";
import type { BlobCommand, NodeReply, NodeRequest, ReadResult, SnapshotNodeConfig, SnapshotNodeStatus, SnapshotStoreChoice, SnapshotSummary } from "./protocol.js";
import { RssSampler } from "./rss.js";

const script = fileURLToPath(new URL("./snapshot-node.js", import.meta.url).href.replace("/src/scale/", "/dist/scale/"));

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type Without<T> = T extends unknown ? Omit<T, "seq"> : never;

/** A node process and the IPC channel that drives it. */
export class NodeHandle {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  /** The last lines the node wrote (its log, warnings and errors only unless verbose). */
  readonly output: string[] = [];
  readonly exited: Promise<void>;

  constructor(
    readonly id: number,
    readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => {
      this.output.push(d.toString());
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("message", (reply: NodeReply) => {
      const p = this.pending.get(reply.seq);
      if (p === undefined) return;
      this.pending.delete(reply.seq);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code, leaderHint: reply.error.leaderHint }));
    });
    this.exited = new Promise((resolve) =>
      child.on("exit", () => {
        for (const p of this.pending.values()) p.reject(new Error(`node ${id} exited`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  request(op: "status"): Promise<SnapshotNodeStatus>;
  request(op: "read"): Promise<ReadResult>;
  request(op: "take-snapshot"): Promise<SnapshotSummary>;
  request(op: "gc"): Promise<number>;
  request(op: "propose", fields: { command: BlobCommand }): Promise<number>;
  request(op: "add-learner", fields: { id: number; address: string }): Promise<unknown>;
  request(op: "promote", fields: { id: number }): Promise<unknown>;
  request(op: NodeRequest["op"], fields: object = {}): Promise<unknown> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      if (!this.alive) return reject(new Error(`node ${this.id} is not running`));
      this.pending.set(seq, { resolve, reject });
      this.child.send({ seq, op, ...fields } as Without<NodeRequest> & { seq: number });
    });
  }
}

export interface SnapshotClusterOptions {
  readonly transport: "grpc" | "ws";
  readonly store: "disk" | "s3";
  /** Initial voters (1..n). */
  readonly voters?: number;
  readonly chunkBytes?: number;
  readonly progressTimeoutMs?: number;
  /** Nodes that join later reach the others through a TcpProxy each, and are reached through one: `cut()` breaks every socket between them. */
  readonly proxies?: boolean;
  /** Where node directories (and the S3 server's) go; a temp dir by default, removed by `dispose()`. */
  readonly parentDir?: string;
  readonly verbose?: boolean;
  /** S3 part size and parallelism of every node's store. */
  readonly s3?: { readonly partSize?: number; readonly parallelism?: number };
}

/**
 * Node processes of the blob state machine on 127.0.0.1, each with its own
 * directory, SQLite log, and disk or S3 snapshot store (S3: a local s3rver
 * process, a prefix per node). Samples every node's RSS every 100 ms.
 * Everything started is killed by pid in `dispose()`, even after a failure.
 */
export class SnapshotCluster {
  readonly dir: string;
  readonly nodes = new Map<number, NodeHandle>();
  readonly rss = new RssSampler(100);
  /** Proxies in front of each node, as the joining nodes see them (with `proxies`). */
  readonly proxies = new Map<number, TcpProxy>();
  private readonly ports = new Map<number, number>();
  private s3: LocalS3 | undefined;
  readonly voters: number[];

  constructor(readonly o: SnapshotClusterOptions) {
    this.dir = mkdtempSync(join(o.parentDir ?? tmpdir(), "raft-snap-scale-"));
    this.voters = Array.from({ length: o.voters ?? 3 }, (_, i) => i + 1);
  }

  /** The local S3 server's pid (for its RSS), if the cluster uses S3. */
  get s3Pid(): number | undefined {
    return this.s3?.pid;
  }

  /** Starts node `id`: one of the voters, or (`join`) a new node that waits to be added. */
  async start(id: number, joining = !this.voters.includes(id)): Promise<NodeHandle> {
    if (this.ports.size === 0) {
      const base = await freePortRange(16);
      for (let i = 1; i <= 16; i++) this.ports.set(i, base + i - 1);
    }
    if (this.o.store === "s3") this.s3 ??= await LocalS3.start(join(this.dir, "s3"));
    const dir = join(this.dir, `node-${id}`);
    mkdirSync(dir, { recursive: true });
    const others = [...this.voters, ...this.nodes.keys()].filter((p, i, all) => p !== id && all.indexOf(p) === i);
    const peers: Record<string, string> = {};
    for (const p of others) peers[String(p)] = joining && this.o.proxies === true ? (await this.proxyTo(p)).address : this.address(p);
    const config: SnapshotNodeConfig = {
      id,
      clusterId: "snap-scale",
      voters: this.voters,
      join: joining,
      dir,
      transport: this.o.transport,
      port: this.port(id),
      peers,
      snapshots: this.storeFor(id),
      chunkBytes: this.o.chunkBytes ?? 1 << 20,
      progressTimeoutMs: this.o.progressTimeoutMs ?? 10_000,
      tickMs: 20,
      electionTicks: 15,
      verbose: this.o.verbose,
    };
    const configPath = join(dir, "config.json");
    writeFileSync(configPath, JSON.stringify(config));
    // No inherited execArgv: a test runner's flags would make the child resolve workspace packages to TypeScript sources.
    // SNAPSHOT_NODE_FLAGS adds node flags (say --cpu-prof --cpu-prof-dir=/tmp/prof) to every node process.
    const flags = (process.env.SNAPSHOT_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "");
    const child = fork(script, [configPath], { stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv: ["--expose-gc", ...flags] });
    const node = new NodeHandle(id, child);
    this.nodes.set(id, node);
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`node ${id} exited with ${code} before starting:\n${node.output.join("")}`)));
    });
    this.rss.watch(node.pid);
    return node;
  }

  /** Where `id` listens. */
  address(id: number): string {
    return `127.0.0.1:${this.port(id)}`;
  }

  /** The address the cluster should know a joining node by: its proxy's with `proxies`. */
  async addressForCluster(id: number): Promise<string> {
    return this.o.proxies === true ? (await this.proxyTo(id)).address : this.address(id);
  }

  /** Breaks every socket through the proxies (new ones are refused) until `restoreLinks()`. */
  cutLinks(): void {
    for (const p of this.proxies.values()) p.cut();
  }

  restoreLinks(): void {
    for (const p of this.proxies.values()) p.restore();
  }

  node(id: number): NodeHandle {
    const n = this.nodes.get(id);
    if (n === undefined || !n.alive) throw new Error(`node ${id} is not running`);
    return n;
  }

  running(): NodeHandle[] {
    return [...this.nodes.values()].filter((n) => n.alive);
  }

  async kill(id: number): Promise<void> {
    const n = this.node(id);
    n.child.kill("SIGKILL");
    await n.exited;
  }

  async statuses(): Promise<SnapshotNodeStatus[]> {
    return Promise.all(this.running().map((n) => n.request("status")));
  }

  /** The node every running voter agrees leads, once they do. */
  async waitForLeader(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const all = (await this.statuses()).filter((s) => s.voters.includes(s.id) || this.voters.includes(s.id));
      const leader = all.find((s) => s.role === "leader");
      if (leader !== undefined && all.every((s) => s.leader === leader.id)) return leader.id;
      await sleep(50);
    }
    throw new Error(`no leader within ${timeoutMs} ms: ${JSON.stringify(await this.statuses())}`);
  }

  async waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 50): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.outputs()}`);
      await sleep(everyMs);
    }
  }

  /** Proposes through the leader, following redirects; resolves with the state machine's answer (commands applied so far). */
  async propose(command: BlobCommand, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let target = await this.waitForLeader();
    for (;;) {
      try {
        return await this.node(target).request("propose", { command });
      } catch (error) {
        if (Date.now() > deadline) throw error;
        const hint = (error as { leaderHint?: number }).leaderHint;
        target = hint !== undefined && hint !== 0 && this.nodes.get(hint)?.alive === true ? hint : await this.waitForLeader();
      }
    }
  }

  /** Full GCs in every node, then `ms` of samples: the idle level starts at the returned time. */
  async settle(ms = 600): Promise<number> {
    await Promise.all(this.running().map((n) => n.request("gc")));
    await sleep(100);
    const from = performance.now();
    await sleep(ms);
    return from;
  }

  /** The last output lines of every node, for failure messages. */
  outputs(): string {
    return [...this.nodes.values()].map((n) => `--- node ${n.id}${n.alive ? "" : " (exited)"}:\n${n.output.slice(-30).join("")}`).join("\n");
  }

  /** Stops every node: SIGTERM (a clean stop, profiles written), SIGKILL after `graceMs`. */
  async dispose(graceMs = 3000): Promise<void> {
    this.rss.stop();
    for (const n of this.nodes.values()) if (n.alive) n.child.kill("SIGTERM");
    await Promise.race([Promise.all([...this.nodes.values()].map((n) => n.exited)), sleep(graceMs)]);
    for (const n of this.nodes.values()) if (n.alive) n.child.kill("SIGKILL");
    await Promise.all([...this.nodes.values()].map((n) => n.exited));
    for (const p of this.proxies.values()) await p.close();
    await this.s3?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private port(id: number): number {
    const p = this.ports.get(id);
    if (p === undefined) throw new Error(`no port for node ${id}`);
    return p;
  }

  private async proxyTo(id: number): Promise<TcpProxy> {
    let p = this.proxies.get(id);
    if (p === undefined) {
      p = await TcpProxy.listen(this.address(id));
      this.proxies.set(id, p);
    }
    return p;
  }

  private storeFor(id: number): SnapshotStoreChoice {
    if (this.o.store === "disk") return { kind: "disk" };
    const s3 = this.s3 as LocalS3;
    return { kind: "s3", endpoint: s3.endpoint, bucket: s3.bucket, prefix: `cluster/node-${id}`, ...S3_KEYS, ...this.o.s3 };
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
