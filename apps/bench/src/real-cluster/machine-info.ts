// What the figures were measured on, stored with them: they mean little without it.
import { cpus, freemem, loadavg, release, totalmem } from "node:os";

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  loadAverage: number[];
  platform: string;
  kernel: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 10) / 10;
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: gib(totalmem()),
    freeMemoryGiB: gib(freemem()),
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    platform: process.platform,
    kernel: release(),
    node: process.version,
  };
}
