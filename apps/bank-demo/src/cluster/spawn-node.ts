import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NodeConfigInput } from "../config/node-config.js";

const cli = fileURLToPath(new URL("../cli.js", import.meta.url));

/** Writes a node's config to `dataDir/config.json`, starts it as a child process logging to `dataDir/node.log`, and records its pid in `dataDir/pid`. */
export function spawnNode(config: NodeConfigInput, options: { detached?: boolean } = {}): ChildProcess {
  mkdirSync(config.dataDir, { recursive: true });
  const configFile = join(config.dataDir, "config.json");
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const log = openSync(join(config.dataDir, "node.log"), "a");
  const child = spawn(process.execPath, [cli, "node", "--config", configFile], { stdio: ["ignore", log, log], detached: options.detached ?? false });
  if (options.detached === true) child.unref();
  // Recorded at once (the node writes it again when it serves), so a supervisor or a second add-node sees the process while it starts.
  if (child.pid !== undefined) writeFileSync(join(config.dataDir, "pid"), `${child.pid}\n`);
  return child;
}
