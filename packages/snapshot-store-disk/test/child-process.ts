import { spawn, type ChildProcess } from "node:child_process";

/** Children not yet known to be gone, so `stopAll()` can kill them by pid whatever a test did. */
const running = new Set<NodeChild>();

/** A `node` child process whose stdout is read line by line, and which is stopped with SIGKILL. */
export class NodeChild {
  /** Complete stdout lines, in order; a line cut off by the kill is left out. */
  readonly lines: string[] = [];
  stderr = "";
  /** Settles once the process has exited and its output has been read to the end. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;
  private wake: () => void = () => {};

  constructor(script: string, args: readonly string[]) {
    this.proc = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    running.add(this);
    let rest = "";
    this.proc.stdout?.setEncoding("utf8").on("data", (text: string) => {
      const parts = (rest + text).split("\n");
      rest = parts.pop() ?? "";
      this.lines.push(...parts);
      this.wake();
    });
    this.proc.stderr?.setEncoding("utf8").on("data", (text: string) => (this.stderr += text));
    this.closed = new Promise((resolve, reject) => {
      this.proc.once("error", (e) => {
        running.delete(this);
        reject(e);
      });
      this.proc.once("close", (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
        this.wake();
      });
    });
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves once `count` lines pass `test`, or once the child has exited. */
  async waitFor(test: (line: string) => boolean, count: number): Promise<void> {
    while (this.alive && this.lines.filter(test).length < count) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** SIGKILL by pid if it is still running; resolves once it is gone and its output read. */
  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const pid = this.proc.pid;
    if (this.alive && pid !== undefined) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // It exited between the check and the kill.
      }
    }
    return this.closed;
  }
}

/** Kills every child still running; for `afterEach`, so a failed test leaves no process behind. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((child) => child.kill()));
}
