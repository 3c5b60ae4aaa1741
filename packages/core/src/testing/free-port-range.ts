import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The kernel hands out ports from this range for outgoing connections and port 0; a fixed port must stay below it. */
function ephemeralLow(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A base port P with P..P+count-1 all free now, for tests that start node
 * processes on fixed ports (and restart them on the same ports). Chosen below
 * the ephemeral range, so no other test's port-0 listener or outgoing
 * connection can take one before the processes bind.
 */
export async function freePortRange(count: number): Promise<number> {
  const high = ephemeralLow() - count;
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * (high - 10_000));
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await isFree(p);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
