import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { corrupt, classify, isRetryable, s3Error } from "./errors.js";
import type { S3Access } from "./s3.js";

/**
 * Reads bytes `offset` to `size` of an object by ranged GET, yielding
 * `chunkSize` bytes at a time (the last chunk may be shorter), each in a
 * fresh buffer the consumer may keep — or, with `reuseBuffers`, all in one
 * buffer, refilled once the consumer pulls the next chunk. Pull-based: the
 * HTTP stream is read only as fast as chunks are taken. A stream broken by
 * the network is resumed with a new ranged GET from where it stopped (with
 * backoff); an object whose length is not `size` is `Corrupt`.
 */
export async function* readRange(s3: S3Access, key: string, size: number, offset: number, chunkSize: number, reuseBuffers = false): AsyncGenerator<Uint8Array> {
  // Nothing is read while the consumer holds a chunk, so one buffer is enough to reuse.
  let reused: Uint8Array | undefined;
  const buffer = (length: number): Uint8Array => {
    if (!reuseBuffers) return new Uint8Array(length);
    if (reused === undefined || reused.length < length) reused = new Uint8Array(length);
    return reused.subarray(0, length);
  };
  let pos = offset;
  let chunk: Uint8Array | undefined;
  let filled = 0;
  let failures = 0;
  while (pos < size) {
    const { body, size: actual } = await s3.getRange(key, pos);
    if (actual !== size) {
      body.destroy();
      throw corrupt(`${s3.url(key)} has ${actual} bytes; its manifest says ${size}`);
    }
    try {
      for await (const piece of body as AsyncIterable<Uint8Array>) {
        let at = 0;
        while (at < piece.length) {
          chunk ??= buffer(Math.min(chunkSize, size - (pos - filled)));
          const n = Math.min(piece.length - at, chunk.length - filled);
          if (n <= 0) throw corrupt(`${s3.url(key)} sent more bytes than the ${size} its manifest says`);
          chunk.set(piece.subarray(at, at + n), filled);
          filled += n;
          at += n;
          pos += n;
          if (filled === chunk.length) {
            const out = chunk;
            chunk = undefined;
            filled = 0;
            yield out;
          }
        }
      }
      if (pos < size) throw corrupt(`${s3.url(key)} ended at ${pos} bytes; its manifest says ${size}`);
    } catch (e) {
      const reason = classify(e);
      if (!isRetryable(reason) || ++failures >= s3.config.maxAttempts) throw s3Error(e, "GetObject (reading)", s3.url(key), failures);
      await sleep(Math.random() * Math.min(s3.config.retryMaxMs, s3.config.retryBaseMs * 2 ** (failures - 1)));
    } finally {
      body.destroy();
    }
  }
}

/** Size and SHA-256 of an object, read by ranged GETs in 1 MiB pieces. */
export async function hashObject(s3: S3Access, key: string, expectedSize: number): Promise<{ size: number; sha256: string }> {
  const head = await s3.head(key);
  if (head === undefined) throw corrupt(`${s3.url(key)} is missing`);
  if (head.size !== expectedSize) return { size: head.size, sha256: "" };
  const hash = createHash("sha256");
  for await (const c of readRange(s3, key, expectedSize, 0, 1 << 20, true)) hash.update(c);
  return { size: expectedSize, sha256: hash.digest("hex") };
}

/** Reads a whole stream into one buffer; for small objects (a reception's tail, at most one part). */
export async function readAll(body: Readable): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of body as AsyncIterable<Uint8Array>) parts.push(p);
  return Buffer.concat(parts);
}
