import type { LogStore, LogWrite } from "@raft/core/contracts";
import { RaftError, type Entry, type HardState, type Index, type Term } from "@raft/core/contracts";
import { MemoryLog } from "@raft/core/contracts";

export interface MemoryLogStoreOptions {
  /** Copy entry payloads on save, so a caller reusing its buffers cannot change the log. Default true. */
  copyPayloads?: boolean;
}

/**
 * A `LogStore` held in an array. A write is "durable" when its promise
 * resolves, which is at once; nothing survives the process.
 */
export class MemoryLogStore implements LogStore {
  private readonly log = new MemoryLog();
  private readonly copyPayloads: boolean;
  private closed = false;

  constructor(options: MemoryLogStoreOptions = {}) {
    this.copyPayloads = options.copyPayloads ?? true;
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

  async save(write: LogWrite): Promise<void> {
    this.checkOpen();
    const entries = this.copyPayloads ? write.entries.map((e) => ({ ...e, data: e.data.slice() })) : write.entries;
    checkContiguous(entries);
    const reset = write.reset;
    if (reset !== undefined && entries.length > 0 && entries[0]?.index !== reset.index + 1) {
      throw new RaftError("StorageFailure", `entries after a reset to ${reset.index} must start at ${reset.index + 1}`);
    }
    if (reset !== undefined) this.log.reset(reset.index, reset.term);
    this.log.append(entries);
    if (write.hardState !== undefined) this.log.hardState = { ...write.hardState };
  }

  async compact(index: Index): Promise<void> {
    this.checkOpen();
    this.log.compact(index);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new RaftError("StorageFailure", "the memory log store is closed");
  }
}

function checkContiguous(entries: readonly Entry[]): void {
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1] as Entry;
    const e = entries[i] as Entry;
    if (e.index !== prev.index + 1 || e.term < prev.term) {
      throw new RaftError("StorageFailure", `entries must be contiguous with non-decreasing terms: ${prev.index}/${prev.term} then ${e.index}/${e.term}`);
    }
  }
}
