import { existsSync } from "node:fs";
import { isNodeProcess, isRemoved, nodeDir, readPids, stopProcesses } from "./cluster-layout.js";

/** How often the supervisor looks at the cluster directory. */
const scanIntervalMs = 300;

/**
 * The `cluster` command's supervisor: it knows every node of its directory,
 * the ones it started and the ones registered there later (`add-node`, or a
 * node restarted by hand with `bank-demo node --config D/<id>/config.json`),
 * by the pid each node process records. It restarts nothing by itself; it
 * reports nodes that appear, exit or are removed; and `stopAll()` stops every
 * live node of the directory and resolves only once all of them are gone.
 */
export class Supervisor {
  /** The pid last seen alive for each node. */
  private readonly known = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly say: (line: string) => void,
  ) {}

  /** Starts watching; the timer also keeps this process alive whatever its children do. */
  start(): void {
    this.scan(true);
    this.timer = setInterval(() => this.scan(false), scanIntervalMs);
  }

  /** Node ids whose process is alive now. */
  liveNodes(): number[] {
    return [...this.known.keys()].sort((a, b) => a - b);
  }

  private scan(quiet: boolean): void {
    const pids = readPids(this.dir);
    for (const [id, pid] of pids) {
      if (this.known.get(id) === pid || !isNodeProcess(this.dir, id, pid)) continue;
      if (!quiet) this.say(this.known.has(id) ? `node ${id} restarted (pid ${pid})` : `node ${id} running (pid ${pid})`);
      this.known.set(id, pid);
    }
    for (const [id, pid] of this.known) {
      if (isNodeProcess(this.dir, id, pid)) continue;
      this.known.delete(id);
      if (!existsSync(nodeDir(this.dir, id))) this.say(`node ${id} exited; its directory was deleted (add-node --abort)`);
      else if (isRemoved(this.dir, id)) this.say(`node ${id} exited (removed from the cluster)`);
      else this.say(`node ${id} exited; see ${nodeDir(this.dir, id)}/node.log (restart it: bank-demo node --config ${nodeDir(this.dir, id)}/config.json)`);
    }
  }

  /** Stops every live node of the directory (SIGTERM, then SIGKILL after 5 s); resolves once none is left. */
  async stopAll(extra: readonly number[] = []): Promise<void> {
    clearInterval(this.timer);
    this.scan(true);
    const pids = new Set([...this.known.values(), ...extra]);
    // A node recorded in the directory but started after the last scan.
    for (const [id, pid] of readPids(this.dir)) if (isNodeProcess(this.dir, id, pid)) pids.add(pid);
    await stopProcesses([...pids]);
    this.known.clear();
  }
}
