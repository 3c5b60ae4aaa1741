// Finds etcd 3.4 (Debian's etcd-server package), installing it with apt when
// it is missing and we are root. The bank half runs either way.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export type EtcdBinary = { path: string; version: string } | { skipped: string };

const path = "/usr/bin/etcd";

function version(): string {
  const out = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 10_000 });
  return /etcd Version: (\S+)/.exec(out.stdout ?? "")?.[1] ?? "unknown";
}

export function findEtcd(): EtcdBinary {
  if (existsSync(path)) return { path, version: version() };
  if (process.getuid?.() !== 0) return { skipped: `${path} is missing and only root can apt-get install etcd-server` };
  console.log("etcd is missing: apt-get install etcd-server …");
  const install = spawnSync("sh", ["-c", "apt-get update -qq && apt-get install -y -qq etcd-server"], {
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (install.status !== 0 || !existsSync(path)) {
    const why = (install.stderr || install.stdout || install.error?.message || "").trim().split("\n").slice(-3).join(" | ");
    return { skipped: `apt-get install etcd-server failed (${why})` };
  }
  return { path, version: version() };
}
