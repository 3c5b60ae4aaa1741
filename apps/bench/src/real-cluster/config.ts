// What one run of the real-cluster benchmark measures, read from the environment
// so that `pnpm bench` runs the full sweep and a smoke run is one line.

export type Transport = "grpc" | "ws";

export interface BenchConfig {
  /** Measured window per client count, after the warm-up. */
  seconds: number;
  warmupSeconds: number;
  /** Rounds; each system's figure is the median over them. */
  repeats: number;
  clients: number[];
  transports: Transport[];
  etcd: boolean;
}

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return n;
}

function list(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export function readConfig(): BenchConfig {
  const clients = list("BENCH_CLIENTS", "1,16,64,256").map(Number);
  if (clients.length === 0 || clients.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new Error(`BENCH_CLIENTS=${process.env.BENCH_CLIENTS}: expected integers ≥ 1, e.g. 1,16,64,256`);
  const transports = list("BENCH_TRANSPORTS", "grpc,ws");
  const bad = transports.filter((t) => t !== "grpc" && t !== "ws");
  if (bad.length > 0) throw new Error(`BENCH_TRANSPORTS: unknown ${bad.join(", ")}; expected grpc and/or ws`);
  return {
    seconds: positiveNumber("BENCH_SECONDS", 10),
    warmupSeconds: 1,
    repeats: Math.round(positiveNumber("BENCH_REPEATS", 2)),
    clients: [...new Set(clients)].sort((a, b) => a - b),
    transports: transports as Transport[],
    etcd: process.env.BENCH_ETCD !== "0",
  };
}
