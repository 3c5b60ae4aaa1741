// The parent's handle on one catch-up-node.ts process: start, requests over IPC, stop by pid.
import { fork, type ChildProcess } from "node:child_process";
import { onCleanup } from "../real-cluster/cleanup.js";
import type { NodeProcessConfig, NodeState, ProposerReport, Reply, Request } from "./protocol.js";

const script = new URL("./catch-up-node.js", import.meta.url);

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type Op = Request["op"];

export class NodeProcess {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly exited: Promise<void>;
  private readonly unregister: () => void;

  private constructor(
    readonly config: NodeProcessConfig,
    private readonly child: ChildProcess,
  ) {
    child.on("message", (reply: Reply) => {
      const p = this.pending.get(reply.seq);
      if (p === undefined) return;
      this.pending.delete(reply.seq);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new Error(`node ${config.id}: ${reply.error}`));
    });
    this.exited = new Promise((resolve) =>
      child.once("exit", () => {
        for (const p of this.pending.values()) p.reject(new Error(`node ${config.id} exited`));
        this.pending.clear();
        resolve();
      }),
    );
    this.unregister = onCleanup(() => this.kill());
  }

  /** Starts the process; resolves once its node has started. */
  static async start(config: NodeProcessConfig): Promise<NodeProcess> {
    // No inherited execArgv: flags given to the benchmark (e.g. --cpu-prof) are not for the nodes; BENCH_NODE_FLAGS are.
    const execArgv = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "");
    const child = fork(script, [JSON.stringify(config)], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
    const node = new NodeProcess(config, child);
    // The node says seq 0 once it has started; an exit before that rejects.
    await new Promise<void>((resolve, reject) => node.pending.set(0, { resolve: () => resolve(), reject }));
    return node;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private request(op: Op, extra: Record<string, unknown> = {}): Promise<unknown> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.child.send({ seq, op, ...extra }, (error) => {
        if (error !== null) {
          this.pending.delete(seq);
          reject(error);
        }
      });
    });
  }

  state(): Promise<NodeState> {
    return this.request("state") as Promise<NodeState>;
  }

  fill(count: number, inFlight: number): Promise<{ seconds: number }> {
    return this.request("fill", { count, inFlight }) as Promise<{ seconds: number }>;
  }

  async proposerStart(): Promise<void> {
    await this.request("proposer-start");
  }

  proposerStop(): Promise<ProposerReport> {
    return this.request("proposer-stop") as Promise<ProposerReport>;
  }

  /** A clean stop (the node closes its log and transport), SIGKILL if that takes over 10 s. */
  async stop(): Promise<void> {
    const timer = setTimeout(() => void this.kill(), 10_000);
    try {
      await Promise.race([this.request("stop").catch(() => {}), this.exited]);
      await this.exited;
    } finally {
      clearTimeout(timer);
      this.unregister();
    }
  }

  /** SIGKILL by pid if it still runs; resolves once it has exited. */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (this.child.exitCode === null && this.child.signalCode === null && pid !== undefined) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    await this.exited;
    this.unregister();
  }
}
