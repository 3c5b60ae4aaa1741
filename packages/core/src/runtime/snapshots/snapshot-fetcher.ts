import type { Clock, Logger, SnapshotReception, SnapshotStore, Transport } from "../../contracts/index.js";
import type { LocatedSnapshot } from "../../contracts/snapshot-store.js";
import { isRaftError, RaftError, type SnapshotMeta, type SnapshotToInstall } from "../../engine/index.js";
import type { SnapshotStats } from "./snapshot-stats.js";
import type { TransferSource } from "./transfer-tracker.js";
import { abortableDelay } from "./abortable-delay.js";
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
  /** Bytes of the whole snapshot held so far, after every chunk, and where they come from. */
  readonly onProgress?: (bytesDone: number, source: TransferSource) => void;
}

/** Network-ish failures worth resuming after; anything else ends the install. */
const retryable = new Set(["Unavailable", "Timeout", "Busy"]);
/** Flush (make durable, record the resume offset) after this many bytes or milliseconds, whichever comes first. */
const flushEveryBytes = 32 << 20;
const flushEveryMs = 1000;

/** Where a file's bytes are read from: the leader over the transport, or the snapshot's location. */
interface ByteSource {
  readonly kind: "peer" | "url";
  /**
   * Chunks of `file` from `offset`; aborting `signal` stops the stream. Each
   * chunk is written before the next is pulled, so sources reuse their
   * buffers; they buffer ahead themselves (a transport's window, an HTTP
   * stream), so nothing is pulled ahead here.
   */
  read(file: string, offset: number, signal: AbortSignal): AsyncIterable<Uint8Array>;
  /** Broken streams in a row, per file, resumed from this source before giving up on it. */
  readonly maxFailures: number;
  /** For error messages: "peer 1", "s3://…". */
  readonly name: string;
}

/**
 * Receives a snapshot into the local store and resolves with its committed,
 * verified manifest. In order:
 *
 * 1. already in the store (it shares the leader's location, or holds the
 *    same snapshot): verified in place, nothing moves;
 * 2. inline bytes from the InstallSnapshot message;
 * 3. offered at a location (`source.kind === "url"`) this store can read:
 *    read straight from there, resuming from the reception's durable
 *    progress; a failure there (unreachable, gone, damaged) falls back to 4,
 *    keeping what is durable;
 * 4. pulled from the leader file by file, resuming after broken streams.
 *
 * `commit()` checks sizes and SHA-256 before anything is installed; a
 * mismatch discards the partial and fetches again (from the leader).
 */
export async function fetchSnapshot(target: SnapshotToInstall, o: FetchOptions, signal: AbortSignal): Promise<SnapshotMeta> {
  const held = await heldSnapshot(o.store, target.meta);
  if (held !== undefined) return verifyHeld(held, o);
  if (target.inline === undefined && target.source.kind === "url") {
    const fromLocation = await fetchFromLocation(target, target.source.url, o, signal);
    if (fromLocation !== undefined) return fromLocation;
  }
  return fetchFromPeer(target, o, signal);
}

/** The store's committed snapshot with this id, if it has one (nothing to fetch). */
async function heldSnapshot(store: SnapshotStore, meta: SnapshotMeta): Promise<SnapshotMeta | undefined> {
  try {
    const held = await store.get(meta.id);
    return held.id === meta.id ? held : undefined;
  } catch (e) {
    if (isRaftError(e, "NotFound")) return undefined;
    throw e;
  }
}

/**
 * A snapshot the store already holds: checked before it is restored, since
 * this node did not write (or check) those bytes itself. A damaged one is
 * never installed; receiving it again would not help (the store answers
 * that it holds it), so the install fails and the leader offers again later.
 */
async function verifyHeld(meta: SnapshotMeta, o: FetchOptions): Promise<SnapshotMeta> {
  o.onProgress?.(0, "local");
  try {
    await o.store.verify(meta.id);
  } catch (e) {
    if (isRaftError(e, "Corrupt")) {
      o.stats.checksumFailures++;
      o.logger.error("a snapshot already in the store failed verification; not installing it", { id: meta.id, error: e.message });
    }
    throw e;
  }
  o.logger.debug("snapshot already in the store; nothing to fetch", { id: meta.id });
  o.onProgress?.(meta.size, "local");
  return meta;
}

/**
 * Receives the snapshot from its location. Resolves with the committed
 * manifest, or `undefined` to fall back to the leader; rejects only when the
 * install itself must end (aborted, superseded).
 */
async function fetchFromLocation(target: SnapshotToInstall, url: string, o: FetchOptions, signal: AbortSignal): Promise<SnapshotMeta | undefined> {
  const { meta, from } = target;
  const store = o.store;
  if (store.canRead === undefined || store.openLocated === undefined || !store.canRead(url)) {
    o.logger.debug("snapshot offered at a location this store cannot read; pulling it from the leader", { id: meta.id, url });
    return undefined;
  }
  try {
    const located = await store.openLocated(url);
    if (!sameSnapshot(located.meta, meta)) throw new RaftError("Unavailable", `${url} holds ${located.meta.id}, not the offered ${meta.id}`);
    const reception = await store.receive(meta);
    try {
      await pullFiles(meta, reception, locationSource(located, url, o.chunkSize), o, signal);
    } catch (e) {
      // Keep what is durable for the leader to continue from; a damaged source's bytes are dropped.
      if (isRaftError(e, "Corrupt")) await reception.writer.abort().catch(() => {});
      else await reception.writer.flush().catch(() => {});
      throw e;
    }
    const committed = await reception.writer.commit();
    o.logger.info("snapshot read from its location", { id: meta.id, url, size: meta.size });
    return committed;
  } catch (e) {
    if (signal.aborted || isRaftError(e, "Aborted") || isRaftError(e, "Stopped")) throw e;
    if (isRaftError(e, "Corrupt")) o.stats.checksumFailures++;
    o.stats.urlFallbacks++;
    o.logger.warn("could not receive the snapshot from its location; pulling it from the leader", { id: meta.id, url, leader: from, error: (e as Error).message });
    return undefined;
  }
}

/** Same id and the same files (the id is derived from them, so this only guards against a confused location). */
function sameSnapshot(a: SnapshotMeta, b: SnapshotMeta): boolean {
  return a.id === b.id && a.files.length === b.files.length && a.files.every((f, i) => f.name === b.files[i]?.name && f.size === b.files[i]?.size && f.sha256 === b.files[i]?.sha256);
}

function locationSource(located: LocatedSnapshot, url: string, chunkSize: number): ByteSource {
  // The store retries and resumes its own reads; a failure that reaches here means the location is out of reach.
  return { kind: "url", name: url, maxFailures: 0, read: (file, offset) => located.open(file, { offset, chunkSize, reuseBuffers: true }) };
}

function peerSource(target: SnapshotToInstall, o: FetchOptions): ByteSource {
  const { meta, from } = target;
  return {
    kind: "peer",
    name: `peer ${from}`,
    maxFailures: o.maxAttempts,
    read: (file, offset, signal) => o.transport.fetchSnapshot(from, { id: meta.id, file, offset, chunkSize: o.chunkSize }, signal, { reuseBuffers: true }),
  };
}

/** Inline bytes, or pulled from the leader; a checksum mismatch discards the partial and starts over, up to `maxAttempts` times. */
async function fetchFromPeer(target: SnapshotToInstall, o: FetchOptions, signal: AbortSignal): Promise<SnapshotMeta> {
  for (let corrupt = 0; ; corrupt++) {
    const reception = await o.store.receive(target.meta);
    try {
      if (target.inline !== undefined) await writeInline(target, reception);
      else await pullFiles(target.meta, reception, peerSource(target, o), o, signal);
      return await reception.writer.commit();
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

async function writeInline(target: SnapshotToInstall, { writer, progress }: SnapshotReception): Promise<void> {
  for (const f of target.meta.files) {
    const data = target.inline?.find((i) => i.name === f.name)?.data ?? new Uint8Array(0);
    const from = progress.get(f.name) ?? 0;
    if (from < f.size || f.size === 0) await writer.write(f.name, data.subarray(from));
  }
}

/**
 * Streams every file from `source` into the reception's writer, from its
 * durable progress on, flushing every `flushEveryBytes` or `flushEveryMs`.
 * A flush runs while the next chunks are written (at most one at a time), so
 * the disk's fsync overlaps the network. A broken or stalled stream is
 * resumed from where it stopped, up to `source.maxFailures` times in a row.
 */
async function pullFiles(meta: SnapshotMeta, { writer, progress }: SnapshotReception, source: ByteSource, o: FetchOptions, signal: AbortSignal): Promise<void> {
  const flushes = new BackgroundFlush(writer);
  let unflushed = 0;
  let flushedAt = o.clock.now();
  let before = 0; // bytes of the files already complete
  try {
    for (const f of meta.files) {
      let offset = progress.get(f.name) ?? 0;
      o.onProgress?.(before + offset, source.kind);
      if (offset > 0 && offset < f.size) o.stats.resumes++;
      if (f.size === 0) await writer.write(f.name, new Uint8Array(0));
      for (let failures = 0; offset < f.size;) {
        const stream = new AbortController();
        const onAbort = () => stream.abort(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          const chunks = withProgressTimeout(source.read(f.name, offset, stream.signal), o.progressTimeoutMs, o.clock, () => stream.abort(), signal);
          for await (const chunk of chunks) {
            if (signal.aborted) break;
            if (offset + chunk.length > f.size) throw new RaftError("Corrupt", `${source.name} sent more than the ${f.size} bytes of ${f.name}`);
            await writer.write(f.name, chunk);
            offset += chunk.length;
            unflushed += chunk.length;
            o.stats.bytesReceived += chunk.length;
            if (source.kind === "url") o.stats.urlBytesReceived += chunk.length;
            o.onProgress?.(before + offset, source.kind);
            failures = 0;
            if (unflushed >= flushEveryBytes || o.clock.now() - flushedAt >= flushEveryMs) {
              await flushes.start();
              unflushed = 0;
              flushedAt = o.clock.now();
            }
          }
          if (signal.aborted) throw new RaftError("Aborted", `install of ${meta.id} was superseded or stopped`);
          if (offset < f.size) throw new RaftError("Unavailable", `stream of ${f.name} from ${source.name} ended at ${offset} of ${f.size} bytes`);
        } catch (e) {
          await flushes.now();
          unflushed = 0;
          const code = isRaftError(e) ? e.code : "";
          if (signal.aborted || !retryable.has(code) || ++failures > source.maxFailures) throw e;
          o.stats.resumes++;
          o.logger.info("snapshot stream broke; resuming", { id: meta.id, file: f.name, offset, from: source.name, error: (e as Error).message });
          await abortableDelay(o.clock, Math.min(2000, 50 * 2 ** failures), signal).catch(() => {});
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
      }
      before += f.size;
    }
    await flushes.now();
  } finally {
    await flushes.settled();
  }
}

/**
 * The flushes of one reception: `start()` begins one without waiting for it
 * (after the previous one is done: one at a time, and its failure is thrown
 * here), `now()` flushes everything written and waits.
 */
class BackgroundFlush {
  private pending: Promise<void> | undefined;

  constructor(private readonly writer: SnapshotReception["writer"]) {}

  async start(): Promise<void> {
    await this.wait();
    const p = this.writer.flush();
    p.catch(() => {}); // thrown by the next start(), now() or settled() — never unobserved
    this.pending = p;
  }

  async now(): Promise<void> {
    await this.wait();
    await this.writer.flush();
  }

  /** Waits for a flush in flight, ignoring its failure (the caller is already failing). */
  async settled(): Promise<void> {
    await this.wait().catch(() => {});
  }

  private async wait(): Promise<void> {
    const p = this.pending;
    this.pending = undefined;
    await p;
  }
}
