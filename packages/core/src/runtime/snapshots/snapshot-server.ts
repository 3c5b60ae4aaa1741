import type { Clock, Logger, SnapshotRequest, SnapshotStore } from "../../contracts/index.js";
import { RaftError, type NodeId } from "../../engine/index.js";
import type { SnapshotStats } from "./snapshot-stats.js";
import { TokenBucket } from "../token-bucket.js";
import type { TransferTracker } from "./transfer-tracker.js";

/**
 * Serves snapshot file ranges to peers that pull them: at most
 * `maxConcurrent` streams at once (more get `Busy` and retry), all of them
 * sharing one bytes-per-second budget. A snapshot being read is pinned, so
 * retention never removes it mid-transfer.
 */
export class SnapshotServer {
  private active = 0;
  private readonly bucket: TokenBucket;

  constructor(
    private readonly store: SnapshotStore,
    private readonly options: { maxConcurrent: number; bytesPerSecond: number; clock: Clock; logger: Logger; stats: SnapshotStats; transfers: TransferTracker },
  ) {
    this.bucket = new TokenBucket(options.bytesPerSecond, options.clock);
  }

  async *serve(from: NodeId, request: SnapshotRequest, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    if (this.active >= this.options.maxConcurrent) {
      throw new RaftError("Busy", `already sending ${this.active} snapshots (limit ${this.options.maxConcurrent}); retry later`);
    }
    this.active++;
    const unpin = this.store.pin(request.id);
    this.options.logger.debug("serving snapshot", { to: from, id: request.id, file: request.file, offset: request.offset });
    try {
      const meta = await this.store.get(request.id);
      // Progress counts the whole snapshot: the files before this one, then the offset in it.
      let done = request.offset;
      for (const f of meta.files) {
        if (f.name === request.file) break;
        done += f.size;
      }
      // The transport is done with each chunk when it pulls the next (its contract), so the store may reuse
      // its buffers, reading the next chunk while this one goes out.
      const chunks = this.store.open(request.id, request.file, { offset: request.offset, chunkSize: request.chunkSize, reuseBuffers: true });
      for await (const chunk of chunks) {
        if (signal.aborted) return;
        await this.bucket.take(chunk.length, signal);
        this.options.stats.bytesSent += chunk.length;
        done += chunk.length;
        this.options.transfers.progress(from, "send", request.id, done, meta.size);
        yield chunk;
      }
    } finally {
      unpin();
      this.active--;
    }
  }
}
