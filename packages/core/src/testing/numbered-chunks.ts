/**
 * A snapshot source for transport tests: `count` chunks of `size` bytes,
 * each filled with its number (mod 256), from one buffer the source reuses
 * (as the stores do), so a transport that keeps a chunk past the next pull
 * is caught.
 */
export function numberedChunks(count: number, size: number): () => AsyncGenerator<Uint8Array> {
  return async function* () {
    const chunk = new Uint8Array(size);
    for (let i = 0; i < count; i++) yield chunk.fill(i & 0xff);
  };
}

/**
 * Reads `numberedChunks` of `size` bytes, checking each chunk's first and
 * last byte, while sampling `process.memoryUsage().arrayBuffers`: how many
 * chunks came, and how far array-buffer memory rose above where it started.
 */
export async function readNumberedChunks(chunks: AsyncIterable<Uint8Array>, size: number): Promise<{ count: number; arrayBuffersGrowth: number }> {
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  let count = 0;
  for await (const c of chunks) {
    if (c.length !== size || c[0] !== (count & 0xff) || c[size - 1] !== (count & 0xff)) throw new Error(`chunk ${count} holds the wrong bytes`);
    count++;
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }
  return { count, arrayBuffersGrowth: peak - before };
}
