import { readdir, readFile } from "node:fs/promises";

/** A process's resident set size now, from /proc/<pid>/status (VmRSS), in bytes; undefined once it is gone. */
export async function rssOf(pid: number): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, "utf8");
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(text)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** One sample: when (performance.now() of the sampling process) and how much. */
export interface RssSample {
  readonly t: number;
  readonly rss: number;
}

/**
 * Samples the RSS of a set of processes every `everyMs`, keeping every
 * sample, so a window (idle before, busy during) can be read afterwards.
 */
export class RssSampler {
  private readonly samples = new Map<number, RssSample[]>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly everyMs = 100) {}

  watch(pid: number): void {
    if (!this.samples.has(pid)) this.samples.set(pid, []);
    this.timer ??= setInterval(() => void this.sample(), this.everyMs);
  }

  /** Samples once now (also called by the timer). */
  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await Promise.all(
        [...this.samples].map(async ([pid, list]) => {
          const rss = await rssOf(pid);
          if (rss !== undefined) list.push({ t: performance.now(), rss });
        }),
      );
    } finally {
      this.busy = false;
    }
  }

  /** Samples of `pid` in [from, to). */
  window(pid: number, from: number, to = Infinity): RssSample[] {
    return (this.samples.get(pid) ?? []).filter((s) => s.t >= from && s.t < to);
  }

  /** Median RSS of `pid` in [from, to): the idle level. */
  median(pid: number, from: number, to = Infinity): number {
    const values = this.window(pid, from, to)
      .map((s) => s.rss)
      .sort((a, b) => a - b);
    if (values.length === 0) throw new Error(`no RSS samples of pid ${pid} in that window`);
    return values[Math.floor(values.length / 2)] as number;
  }

  /** Largest RSS of `pid` in [from, to). */
  peak(pid: number, from: number, to = Infinity): number {
    const values = this.window(pid, from, to).map((s) => s.rss);
    if (values.length === 0) throw new Error(`no RSS samples of pid ${pid} in that window`);
    return Math.max(...values);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** CPU seconds (user + system) a process has used: all its threads, and its main thread alone. */
export interface CpuTime {
  readonly process: number;
  readonly mainThread: number;
  /** By thread name (libuv's pool, V8's helpers, worker threads…), for profiling. */
  readonly threads?: Readonly<Record<string, number>>;
}

const TICKS_PER_SECOND = 100; // USER_HZ: what /proc reports in, on every Linux architecture Node supports

async function ticks(path: string): Promise<number | undefined> {
  try {
    const text = await readFile(path, "utf8");
    // Fields after the command (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** CPU time of `pid` so far, from /proc/<pid>/stat and /proc/<pid>/task/<pid>/stat; undefined once it is gone. */
export async function cpuOf(pid: number): Promise<CpuTime | undefined> {
  const [all, main] = await Promise.all([ticks(`/proc/${pid}/stat`), ticks(`/proc/${pid}/task/${pid}/stat`)]);
  if (all === undefined || main === undefined) return undefined;
  const threads: Record<string, number> = {};
  try {
    for (const tid of await readdir(`/proc/${pid}/task`)) {
      const name = (await readFile(`/proc/${pid}/task/${tid}/comm`, "utf8").catch(() => "?")).trim();
      threads[name] = (threads[name] ?? 0) + ((await ticks(`/proc/${pid}/task/${tid}/stat`)) ?? 0) / TICKS_PER_SECOND;
    }
  } catch {
    // gone meanwhile
  }
  return { process: all / TICKS_PER_SECOND, mainThread: main / TICKS_PER_SECOND, threads };
}
