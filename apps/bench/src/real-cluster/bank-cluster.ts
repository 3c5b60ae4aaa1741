// The bank cluster as users start it: `bank-demo cluster` launches three node
// processes (SQLite log with synchronous=FULL, disk snapshots) and prints each
// node's URL, then the leader once one is elected.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { freePortRange } from "@raft/core/testing";
import { onCleanup } from "./cleanup.js";
import type { Transport } from "./config.js";
import { readPidFiles, stopPids } from "./processes.js";

/** The bank-demo CLI as `pnpm build` leaves it: apps/bank-demo beside apps/bench. */
export const bankCli = fileURLToPath(new URL("../../../bank-demo/dist/cli.js", import.meta.url));

export interface BankCluster {
  transport: Transport;
  /** Node HTTP URLs, node 1 first. */
  urls: string[];
  dir: string;
  /** The node processes' pids (from their pid files). */
  pids(): number[];
  stop(): Promise<void>;
}

const nodes = 3;
const startTimeoutMs = 30_000;

/** What to start instead of this checkout's bank as is: another build's CLI (a checkout to compare with), extra environment for its processes. */
export interface BankBuild {
  cli?: string;
  env?: Record<string, string>;
}

export async function startBankCluster(transport: Transport, build: BankBuild = {}): Promise<BankCluster> {
  const cli = build.cli ?? bankCli;
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build the bank first (pnpm turbo run build --filter=@raft/bank-demo...)`);
  const dir = mkdtempSync(join(tmpdir(), `bench-bank-${transport}-`));
  // Node i takes Raft port base+2(i-1) and HTTP port base+2(i-1)+1.
  const base = await freePortRange(2 * nodes);
  const launcher = spawn(process.execPath, [cli, "cluster", "--nodes", String(nodes), "--dir", dir, "--transport", transport, "--base-port", String(base)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...build.env },
  });
  const stop = async () => {
    // The launcher stops its nodes on SIGTERM; the pid files catch any it left (or if it died first).
    await stopPids([launcher.pid ?? 0]);
    await stopPids(readPidFiles(dir));
  };
  const unregister = onCleanup(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const output: string[] = [];
  launcher.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  try {
    const urls = await waitForLeader(launcher.stdout, output, () => launcher.exitCode ?? launcher.signalCode);
    return {
      transport,
      urls,
      dir,
      pids: () => readPidFiles(dir),
      async stop() {
        await stop();
        unregister();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stop();
    unregister();
    throw new Error(`bank cluster over ${transport} did not start (logs kept in ${dir}): ${(error as Error).message}\n${output.join("").slice(-2_000)}`);
  }
}

/** Reads the launcher's lines until it names the leader; returns the node URLs it printed. */
function waitForLeader(stdout: NodeJS.ReadableStream, output: string[], exited: () => number | string | null): Promise<string[]> {
  const urls: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no leader within ${startTimeoutMs / 1000} s`)), startTimeoutMs);
    const lines = createInterface({ input: stdout });
    lines.on("line", (line) => {
      output.push(`${line}\n`);
      const node = /^\s+node (\d+)\s+(http:\/\/\S+)/.exec(line);
      if (node !== null) urls[Number(node[1]) - 1] = node[2] as string;
      if (/^leader: node \d+/.test(line)) {
        clearTimeout(timer);
        resolve(urls);
      }
      if (/^no leader yet/.test(line)) {
        clearTimeout(timer);
        reject(new Error("the launcher found no leader"));
      }
    });
    lines.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`the launcher exited (${String(exited())})`));
    });
  });
}
