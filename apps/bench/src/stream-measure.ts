import { NodeId, snapshotId, type Transport } from "@raft/core/contracts";

export const MiB = 1 << 20;
export const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

export interface StreamMeasure {
  readonly seconds: number;
  readonly idleRss: number;
  readonly peakRss: number;
  /** One line: size, chunk size, MB/s, MiB/s, time. */
  readonly summary: string;
}

/**
 * Pulls `size` bytes of one snapshot file from peer 2 through `transport`,
 * sampling this process's RSS; `resetServerPeak` lets the serving process
 * start its own peak from here.
 */
export async function measureSnapshotFetch(transport: Transport, size: number, chunkSize: number, resetServerPeak: () => void): Promise<StreamMeasure> {
  global.gc?.();
  await new Promise((r) => setTimeout(r, 100));
  const idleRss = process.memoryUsage.rss();
  let peakRss = idleRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 5);
  resetServerPeak();
  await new Promise((r) => setTimeout(r, 50));
  const request = { id: snapshotId(1, 1, "00".repeat(32)), file: "blob", offset: 0, chunkSize };
  let received = 0;
  const t0 = performance.now();
  for await (const chunk of transport.fetchSnapshot(NodeId.of(2), request, new AbortController().signal)) received += chunk.length;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  if (received !== size) throw new Error(`received ${received} of ${size} bytes`);
  const summary = `snapshot stream ${mib(size)} in ${chunkSize / 1024} KiB chunks: ${(size / 1e6 / seconds).toFixed(0)} MB/s (${(size / MiB / seconds).toFixed(0)} MiB/s, ${seconds.toFixed(2)} s)`;
  return { seconds, idleRss, peakRss, summary };
}
