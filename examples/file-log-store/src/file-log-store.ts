import { open, readFile, type FileHandle } from "node:fs/promises";
import { Index, MemoryLog, RaftError, Term, type Entry, type HardState, type LogStore, type LogWrite } from "@raft/core/contracts";

export interface FileLogStoreOptions {
  /** The log file; created when missing. One store (one process) per file. */
  path: string;
}

/** One line of the file: a write or a compaction, replayed in order on open. */
type Record =
  { op: "save"; reset?: { index: number; term: number }; hardState?: HardState; entries: { index: number; term: number; kind: Entry["kind"]; data: string }[] } | { op: "compact"; index: number };

/**
 * A `LogStore` on one append-only file of JSON lines. Each `save` and
 * `compact` is checked on a copy of the log first (so a refused write
 * changes nothing), then appended as one line and fsynced, and only then
 * becomes visible to reads and resolves: reads always show what is durable.
 * Opening replays the file; a torn last line (a crash mid-write) is ignored,
 * since its write never resolved.
 *
 * Not included (it is an example): rewriting the file after compaction, so
 * it only grows; checksums; batching several writes into one fsync.
 */
export class FileLogStore implements LogStore {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private log: MemoryLog,
    private readonly file: FileHandle,
  ) {}

  static async open(options: FileLogStoreOptions): Promise<FileLogStore> {
    if (typeof options?.path !== "string" || options.path.length === 0) throw new RaftError("InvalidConfig", "FileLogStore option path must be a non-empty path");
    const text = await readFile(options.path, "utf8").catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? "" : Promise.reject(e)));
    const log = new MemoryLog();
    const lines = text.split("\n");
    for (const [i, line] of lines.entries()) {
      if (line === "") continue;
      let record: Record;
      try {
        record = JSON.parse(line) as Record;
      } catch (e) {
        if (i === lines.length - 1) break; // the torn tail of a write that never resolved
        throw new RaftError("StorageFailure", `${options.path}: line ${i + 1} is not a record: ${String(e)}`);
      }
      replay(log, record);
    }
    return new FileLogStore(log, await open(options.path, "a"));
  }

  firstIndex(): Index {
    return this.log.firstIndex();
  }

  lastIndex(): Index {
    return this.log.lastIndex();
  }

  term(index: Index): Term {
    return this.log.term(index);
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    return this.log.entries(lo, hi, maxBytes);
  }

  async loadHardState(): Promise<HardState> {
    this.checkOpen();
    return this.log.hardState;
  }

  save(write: LogWrite): Promise<void> {
    const record: Record = {
      op: "save",
      ...(write.reset === undefined ? {} : { reset: { index: write.reset.index, term: write.reset.term } }),
      ...(write.hardState === undefined ? {} : { hardState: { ...write.hardState } }),
      entries: write.entries.map((e) => ({ index: e.index, term: e.term, kind: e.kind, data: Buffer.from(e.data).toString("base64") })),
    };
    return this.commit(record);
  }

  compact(index: Index): Promise<void> {
    return this.commit({ op: "compact", index });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.file.close();
  }

  // #region commit
  /** In call order: check on a copy, append and fsync, then publish the copy. */
  private commit(record: Record): Promise<void> {
    this.checkOpen();
    const done = this.queue.then(async () => {
      const next = this.log.clone();
      replay(next, record);
      await this.file.appendFile(JSON.stringify(record) + "\n");
      await this.file.datasync();
      this.log = next;
    });
    this.queue = done.catch(() => undefined);
    return done;
  }
  // #endregion

  private checkOpen(): void {
    if (this.closed) throw new RaftError("StorageFailure", "the file log store is closed");
  }
}

/** Applies one record to a log, with the checks of the port (holes, the compacted prefix, contiguity). */
function replay(log: MemoryLog, record: Record): void {
  if (record.op === "compact") return log.compact(Index.of(record.index));
  const entries: Entry[] = record.entries.map((e) => ({ index: Index.of(e.index), term: Term.of(e.term), kind: e.kind, data: new Uint8Array(Buffer.from(e.data, "base64")) }));
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1] as Entry;
    const e = entries[i] as Entry;
    if (e.index !== prev.index + 1 || e.term < prev.term)
      throw new RaftError("StorageFailure", `entries must be contiguous with non-decreasing terms: ${prev.index}/${prev.term} then ${e.index}/${e.term}`);
  }
  if (record.reset !== undefined) {
    if (entries.length > 0 && entries[0]?.index !== record.reset.index + 1)
      throw new RaftError("StorageFailure", `entries after a reset to ${record.reset.index} must start at ${record.reset.index + 1}`);
    log.reset(Index.of(record.reset.index), Term.of(record.reset.term));
  }
  log.append(entries);
  if (record.hardState !== undefined) log.hardState = { ...record.hardState };
}
