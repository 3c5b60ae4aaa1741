import type { Clock, Logger, SnapshotStore, SnapshotWriter, Transport } from "../../contracts/index.js";
import { isRaftError, RaftError, type SnapshotMeta, type SnapshotToInstall } from "../../engine/index.js";
import type { SnapshotStats } from "./snapshot-stats.js";
import { abortableDelay } from "./abortable-delay.js";
import { readAhead } from "./read-ahead.js";
import { withProgressTimeout } from "./stream-timeout.js";

export interface FetchOptions {
  readonly store: SnapshotStore;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly stats: SnapshotStats;
  readonly chunkSize: number;
  /** A stream that yields nothing for this long is cut and resumed. */
  readonly progressTimeoutMs: number;
  /** Broken streams in a row (per file) and checksum failures tolerated before giving up. */
  readonly maxAttempts: number;
  /** Bytes of the whole snapshot held so far, after every chunk. */
  readonly onProgress?: (bytesDone: number) => void;
}

/** Network-ish failures worth resuming after; anything else ends the install. */
const retryable = new Set(["Unavailable", "Timeout", "Busy"]);
/** Flush (make durable, record the resume offset) after this many bytes or milliseconds, whichever comes first. */
const flushEveryBytes = 32 << 20;
const flushEveryMs = 1000;
/** Chunks pulled ahead of the disk writes. */
const readAheadChunks = 2;

/**
 * Receives a snapshot into the local store: inline bytes, or pulled from the
 * leader file by file, resuming from the store's durable progress after a
 * broken stream or a restart. `commit()` verifies sizes and SHA-256; a
 * mismatch discards the partial and fetches again. Resolves with the
 * committed (verified) manifest.
 */
export async function fetchSnapshot(target: SnapshotToInstall, o: FetchOptions, signal: AbortSignal): Promise<SnapshotMeta> {
  if (target.source.kind !== "peer" && target.inline === undefined) {
    throw new RaftError("Unavailable", `snapshot ${target.meta.id} is offered at ${target.source.url}; this node reads snapshots from peers only`);
  }
  for (let corrupt = 0; ; corrupt++) {
    const { writer, progress } = await o.store.receive(target.meta);
    try {
      if (target.inline !== undefined) await writeInline(target, writer, progress);
      else await pullFiles(target, writer, progress, o, signal);
      return await writer.commit();
    } catch (e) {
      if (isRaftError(e, "Corrupt") && corrupt < o.maxAttempts && !signal.aborted) {
        // commit() discarded the bad bytes; start over.
        o.stats.checksumFailures++;
        o.logger.warn("snapshot failed verification; fetching again", { id: target.meta.id, error: (e as Error).message });
        continue;
      }
      throw e;
    }
  }
}

async function writeInline(target: SnapshotToInstall, writer: SnapshotWriter, progress: ReadonlyMap<string, number>): Promise<void> {
  for (const f of target.meta.files) {
    const data = target.inline?.find((i) => i.name === f.name)?.data ?? new Uint8Array(0);
    const from = progress.get(f.name) ?? 0;
    if (from < f.size || f.size === 0) await writer.write(f.name, data.subarray(from));
  }
}

async function pullFiles(target: SnapshotToInstall, writer: SnapshotWriter, progress: ReadonlyMap<string, number>, o: FetchOptions, signal: AbortSignal): Promise<void> {
  const { meta, from } = target;
  let unflushed = 0;
  let flushedAt = o.clock.now();
  let before = 0; // bytes of the files already complete
  for (const f of meta.files) {
    let offset = progress.get(f.name) ?? 0;
    o.onProgress?.(before + offset);
    if (offset > 0 && offset < f.size) o.stats.resumes++;
    if (f.size === 0) await writer.write(f.name, new Uint8Array(0));
    for (let failures = 0; offset < f.size; ) {
      const stream = new AbortController();
      const onAbort = () => stream.abort(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const request = { id: meta.id, file: f.name, offset, chunkSize: o.chunkSize };
        const source = readAhead(o.transport.fetchSnapshot(from, request, stream.signal), readAheadChunks);
        const chunks = withProgressTimeout(source, o.progressTimeoutMs, o.clock, () => stream.abort(), signal);
        for await (const chunk of chunks) {
          if (signal.aborted) break;
          if (offset + chunk.length > f.size) throw new RaftError("Corrupt", `peer ${from} sent more than the ${f.size} bytes of ${f.name}`);
          await writer.write(f.name, chunk);
          offset += chunk.length;
          unflushed += chunk.length;
          o.stats.bytesReceived += chunk.length;
          o.onProgress?.(before + offset);
          failures = 0;
          if (unflushed >= flushEveryBytes || o.clock.now() - flushedAt >= flushEveryMs) {
            await writer.flush();
            unflushed = 0;
            flushedAt = o.clock.now();
          }
        }
        if (signal.aborted) throw new RaftError("Aborted", `install of ${meta.id} was superseded or stopped`);
        if (offset < f.size) throw new RaftError("Unavailable", `stream of ${f.name} ended at ${offset} of ${f.size} bytes`);
      } catch (e) {
        await writer.flush();
        unflushed = 0;
        const code = isRaftError(e) ? e.code : "";
        if (signal.aborted || !retryable.has(code) || ++failures > o.maxAttempts) throw e;
        o.stats.resumes++;
        o.logger.info("snapshot stream broke; resuming", { id: meta.id, file: f.name, offset, error: (e as Error).message });
        await abortableDelay(o.clock, Math.min(2000, 50 * 2 ** failures), signal).catch(() => {});
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    }
    before += f.size;
  }
  await writer.flush();
}
