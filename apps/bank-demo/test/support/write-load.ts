import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { reniceProcess } from "./catch-up-cluster.js";

const script = fileURLToPath(new URL("./write-load-child.mjs", import.meta.url));

export interface LoadStats {
  writes: number;
  errors: number;
  errorKinds: Record<string, number>;
}

/** Epoch milliseconds with sub-millisecond precision: the same clock in every process. */
export const epochNow = () => performance.timeOrigin + performance.now();

/**
 * Closed-loop writers in a child process (`write-load-child.mjs`): `clients`
 * HTTP/1.1 keep-alive clients (one socket each), each posting a transfer of
 * 1 unit to `url`, waiting for the answer, then posting the next (back and
 * forth between two accounts, fresh request ids: no account runs dry). Run apart
 * so that their CPU priority can be lowered (`nice`) below the leader's.
 * `kill()` stops the process by pid whatever happened.
 */
export class WriteLoad {
  private seq = 0;
  private readonly waiting = new Map<number, (reply: never) => void>();
  private child: ChildProcess | undefined;

  constructor(
    private readonly url: string,
    private readonly clients: number,
    private readonly accounts: readonly string[],
    private readonly nice = 0,
    /** Request ids are padded to this length (the bank takes up to 128): bigger log entries. */
    private readonly requestIdLength = 0,
  ) {}

  async start(): Promise<void> {
    // No inherited execArgv: the test runner's flags are not for this plain script.
    const child = fork(script, [this.url, String(this.clients), this.accounts.join(","), String(this.requestIdLength)], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [] });
    this.child = child;
    child.on("message", (reply: { seq: number }) => {
      const resolve = this.waiting.get(reply.seq);
      this.waiting.delete(reply.seq);
      resolve?.(reply as never);
    });
    await new Promise<void>((resolve, reject) => {
      this.waiting.set(0, () => resolve());
      child.once("exit", (code) => reject(new Error(`the load process exited with ${code}`)));
    });
    if (this.nice !== 0 && child.pid !== undefined) reniceProcess(child.pid, this.nice);
  }

  private ask<T>(message: Record<string, unknown>): Promise<T> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error("the load process is not running"));
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(seq, resolve as (reply: never) => void);
      child.send({ ...message, seq }, (error) => error && reject(error));
    });
  }

  stats(): Promise<LoadStats> {
    return this.ask({ op: "stats" });
  }

  /** p50 and p99 (ms) of the writes answered in [from, to] (epoch ms), and their count. */
  latency(from: number, to: number): Promise<{ count: number; p50: number; p99: number }> {
    return this.ask({ op: "latency", from, to });
  }

  /** Stops the clients (each finishes its write in flight); answers the final counts. */
  async stop(): Promise<LoadStats> {
    const stats = await this.ask<LoadStats>({ op: "stop" });
    await this.kill();
    return stats;
  }

  /** SIGKILL by pid if still running; resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    await exited;
  }
}
