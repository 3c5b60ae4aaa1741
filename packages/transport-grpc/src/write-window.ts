import { RaftError } from "@raft/core/contracts";

interface WritableCall {
  write(chunk: Buffer, callback: (error?: Error | null) => void): boolean;
}

/**
 * At most `limit` messages written to a gRPC call and not yet handed to
 * HTTP/2, which sends only as fast as the reader's flow-control window
 * allows. So a server streaming a large file holds a few chunks, whatever the
 * file's size. Waiting fails with `Timeout` if no write completes for
 * `idleMs` (the reader stopped reading), and ends when `signal` aborts.
 */
export class WriteWindow {
  private outstanding = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly call: WritableCall,
    private readonly limit: number,
    private readonly idleMs: number,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener("abort", () => this.wake?.(), { once: true });
  }

  /** Writes `bytes` once fewer than `limit` writes are outstanding; `written` runs when gRPC is done with them (sent, or failed). */
  async write(bytes: Buffer, written?: () => void): Promise<void> {
    while (this.outstanding >= this.limit && !this.signal.aborted) await this.progress();
    if (this.signal.aborted) return;
    this.outstanding++;
    this.call.write(bytes, () => {
      this.outstanding--;
      written?.();
      this.wake?.();
    });
  }

  /** Resolves when a write completes or the signal aborts; rejects after `idleMs` of neither. */
  private progress(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        reject(new RaftError("Timeout", `the reader took no data for ${this.idleMs} ms`));
      }, this.idleMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
