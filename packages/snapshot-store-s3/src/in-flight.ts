/**
 * Background tasks (part uploads) with at most `limit` running: `add` waits
 * while the limit is reached. The first failure is kept and thrown from
 * every later `add` and `settle`: the writer is unusable after it.
 */
export class InFlight {
  private readonly tasks = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  async add(task: Promise<unknown>): Promise<void> {
    const tracked: Promise<void> = task.then(
      () => {},
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    const done = tracked.finally(() => this.tasks.delete(done));
    this.tasks.add(done);
    while (this.tasks.size >= this.limit) await Promise.race(this.tasks);
    this.check();
  }

  /** Waits for every task; throws the first failure. */
  async settle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.race(this.tasks);
    this.check();
  }

  check(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}

/**
 * Part buffers of one writer, reused once their upload is done, so memory
 * stays at (parallelism + 1) × partSize whatever the garbage collector's
 * timing. Buffers of another size (a file's short last part) are not kept.
 */
export class PartBuffers {
  private readonly free: Buffer[] = [];

  constructor(readonly size: number) {}

  take(size = this.size): Buffer {
    return (size === this.size ? this.free.pop() : undefined) ?? Buffer.allocUnsafe(size);
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.free.length < 64) this.free.push(buffer);
  }

  clear(): void {
    this.free.length = 0;
  }
}
