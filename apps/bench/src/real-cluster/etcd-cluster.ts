// A 3-member etcd cluster on 127.0.0.1, each member a process with its own data
// directory and etcd's defaults otherwise (every commit fsynced, like the bank's
// SQLite log with synchronous=FULL).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePortRange } from "@raft/core/testing";
import { onCleanup } from "./cleanup.js";
import { getText } from "./http-post.js";
import { sleep, stopPids } from "./processes.js";

export interface EtcdCluster {
  /** Client URLs, member 1 first. */
  urls: string[];
  /** The member processes' pids. */
  pids(): number[];
  stop(): Promise<void>;
}

const members = 3;
const startTimeoutMs = 30_000;

export async function startEtcdCluster(binary: string): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), "bench-etcd-"));
  // Member k (0-based) serves clients on base+2k and peers on base+2k+1.
  const base = await freePortRange(2 * members);
  const names = Array.from({ length: members }, (_, k) => `m${k + 1}`);
  const clientUrl = (k: number) => `http://127.0.0.1:${base + 2 * k}`;
  const peerUrl = (k: number) => `http://127.0.0.1:${base + 2 * k + 1}`;
  const initialCluster = names.map((name, k) => `${name}=${peerUrl(k)}`).join(",");
  const children = names.map((name, k) => {
    const dataDir = join(dir, name);
    mkdirSync(dataDir);
    const log = openSync(join(dir, `${name}.log`), "a");
    // The args of etcd's own "local multi-member cluster" guide, on our ports.
    const args = [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl(k)}`,
      `--advertise-client-urls=${clientUrl(k)}`,
      `--listen-peer-urls=${peerUrl(k)}`,
      `--initial-advertise-peer-urls=${peerUrl(k)}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-token=bench-${base}`,
      "--initial-cluster-state=new",
      "--logger=zap",
      "--log-outputs=stderr",
    ];
    return spawn(binary, args, { stdio: ["ignore", log, log] });
  });
  const stop = () => stopPids(children.map((c) => c.pid ?? 0));
  const unregister = onCleanup(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const urls = names.map((_, k) => clientUrl(k));
  try {
    await waitHealthy(urls);
  } catch (error) {
    await stop();
    unregister();
    const log = readFileSync(join(dir, "m1.log"), "utf8").slice(-2_000);
    throw new Error(`etcd did not become healthy (logs kept in ${dir}): ${(error as Error).message}\n${log}`);
  }
  return {
    urls,
    pids: () => children.map((c) => c.pid ?? 0).filter((pid) => pid > 0),
    async stop() {
      await stop();
      unregister();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Until every member's /health says true (it has a leader and can serve). */
async function waitHealthy(urls: readonly string[]): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  const healthy = async (url: string) => {
    try {
      const { body } = await getText(`${url}/health`, 1_000);
      return (JSON.parse(body) as { health?: string }).health === "true";
    } catch {
      return false;
    }
  };
  while (Date.now() < deadline) {
    if ((await Promise.all(urls.map(healthy))).every(Boolean)) return;
    await sleep(200);
  }
  throw new Error(`not all members healthy within ${startTimeoutMs / 1000} s`);
}
