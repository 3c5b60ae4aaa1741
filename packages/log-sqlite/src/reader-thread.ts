import { RaftError, type Entry, type Logger } from "@raft/core/contracts";
import { decodeEntries } from "./entry-batch.js";
import { decodeEntry } from "./entry-codec.js";
import { storageError } from "./storage-errors.js";
import { WriterThread } from "./writer-thread.js";

/**
 * The store's reads off the main thread (`SqliteLogStore.readAhead`): a
 * second worker running the writer thread's script with a read-only
 * connection of its own, started by the first read. Reads run one at a time,
 * in call order. A thread that dies fails its read (the runtime then reads on
 * the main thread); the next read starts another.
 */
export class ReaderThread {
  private thread: Promise<WriterThread> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** Entries in [lo, hi), at least one, stopping once past `maxBytes`; rejects if `lo` is no longer there. */
  read(lo: number, hi: number, maxBytes: number): Promise<Entry[]> {
    const read = this.queue.then(() => this.readNow(lo, hi, maxBytes));
    this.queue = read.catch(() => {});
    return read;
  }

  /** Waits for the reads issued, then ends the thread. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    const thread = this.thread;
    this.thread = undefined;
    await thread?.then(
      (t) => t.close(),
      () => {},
    );
  }

  private async readNow(lo: number, hi: number, maxBytes: number): Promise<Entry[]> {
    if (this.closed) throw new RaftError("StorageFailure", `${this.path}: the log is closed`);
    this.thread ??= this.start();
    const { batch, bytes, count } = await (await this.thread).read(lo, hi, maxBytes);
    const entries = decodeEntries(batch, bytes, count).map((row) => decodeEntry([row.index, row.term, row.code, row.data], this.path));
    if (entries[0]?.index !== lo) throw new RaftError("Corrupt", `${this.path}: entry ${lo} is missing inside the log (read off the main thread)`);
    return entries;
  }

  private async start(): Promise<WriterThread> {
    const thread = WriterThread.start(this.path);
    thread.onDeath = (error) => {
      this.thread = undefined;
      this.logger.warn("sqlite log reader thread died", { path: this.path, error: error.message });
    };
    try {
      await thread.open({ synchronous: "NORMAL", busyTimeoutMs: this.busyTimeoutMs, readOnly: true });
    } catch (error) {
      this.thread = undefined;
      await thread.terminate();
      throw storageError(this.path, "opening the reader thread", error);
    }
    return thread;
  }
}
