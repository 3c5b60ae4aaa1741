// CPU time per write, by system: the cluster's processes (read from Linux's
// /proc/<pid>/stat, every thread counted) and the load generator itself, over
// the measured window. On a machine whose cores are all busy, throughput is
// cores ÷ CPU per write, so these figures say where a ratio comes from.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime (USER_HZ). */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds of a process so far, all its threads; undefined where /proc cannot tell (not Linux, gone). */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after its closing parenthesis; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

const loaderCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** CPU microseconds per write over a window: all of the cluster's processes, the busiest of them, and the load generator. */
export interface CpuPerWrite {
  clusterUs: number;
  busiestUs: number;
  loaderUs: number;
}

export class CpuMeter {
  private before = new Map<number, number>();
  private loaderBefore = 0;
  private after = new Map<number, number>();
  private loaderAfter = 0;

  constructor(private readonly pids: () => readonly number[]) {}

  atStart(): void {
    this.before = this.sample();
    this.loaderBefore = loaderCpuSeconds();
  }

  atEnd(): void {
    this.after = this.sample();
    this.loaderAfter = loaderCpuSeconds();
  }

  /** Per write over the window; NaN fields when a process could not be read at both ends or nothing was written. */
  perWrite(writes: number): CpuPerWrite {
    const used = [...this.before].map(([pid, from]) => (this.after.get(pid) ?? Number.NaN) - from);
    const per = (seconds: number) => (writes > 0 && used.length > 0 ? (seconds / writes) * 1e6 : Number.NaN);
    return {
      clusterUs: per(used.reduce((a, b) => a + b, 0)),
      busiestUs: per(Math.max(...used)),
      loaderUs: per(this.loaderAfter - this.loaderBefore),
    };
  }

  private sample(): Map<number, number> {
    const out = new Map<number, number>();
    for (const pid of this.pids()) {
      const s = processCpuSeconds(pid);
      if (s !== undefined) out.set(pid, s);
    }
    return out;
  }
}
