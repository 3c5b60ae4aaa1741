// Where a new node's snapshot came from, told from its own /metrics: S3, the shared prefix, the leader, or none.

/** The new node's snapshot counters, read from its /metrics. */
async function snapshotCounters(url: string): Promise<{ received: number; fromUrl: number; fallbacks: number; sources: Set<string> }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  const sources = new Set<string>();
  for (const m of text.matchAll(/^raft_snapshot_transfers_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = m[1] ?? "";
    if (Number(m[2]) > 0 && labels.includes('direction="receive"') && labels.includes('ok="true"')) sources.add(/source="(\w+)"/.exec(labels)?.[1] ?? "");
  }
  return { received: value("raft_snapshot_bytes_received_total"), fromUrl: value("raft_snapshot_url_bytes_received_total"), fallbacks: value("raft_snapshot_url_fallbacks_total"), sources };
}

/** One line saying where the new node's snapshot bytes came from: S3, the shared prefix, the leader, or no snapshot at all. */
export async function snapshotSource(url: string, id: number, s3: boolean): Promise<string> {
  const c = await snapshotCounters(url);
  const mib = (n: number) => (n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(2)} MiB`);
  const fromLeader = c.received - c.fromUrl;
  if (c.sources.has("local")) return `node ${id}'s snapshot: already in its S3 store (the prefix it shares with the leader); nothing copied, the leader sent none`;
  if (c.fromUrl > 0 && fromLeader === 0) return `node ${id}'s snapshot: read straight from S3, ${mib(c.fromUrl)} by ranged GETs; the leader sent none`;
  if (c.fromUrl > 0) return `node ${id}'s snapshot: ${mib(c.fromUrl)} read from S3, then S3 was out of reach and the leader sent the other ${mib(fromLeader)}`;
  if (c.received > 0) return `node ${id}'s snapshot: ${mib(fromLeader)} from the leader over the transport${s3 && c.fallbacks > 0 ? " (S3 was out of reach)" : ""}`;
  const restored = ((await (await fetch(`${url}/status`)).json()) as { snapshot: { index: number } | null }).snapshot;
  if (s3 && restored !== null) return `node ${id}'s snapshot: found in S3 at startup (the prefix it shares with the other nodes), index ${restored.index}; nothing copied, the leader sent none`;
  return `node ${id} caught up from the log or an inline snapshot (no snapshot stream)`;
}
