import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadNodeConfig, type NodeConfig } from "../config/node-config.js";
import { startHttpServer } from "../http/http-server.js";
import { s3PrefixOf } from "./adapters.js";
import { BankNode } from "./bank-node.js";
import { createLogger } from "./logger.js";

/**
 * `bank-demo node --config FILE`: one node in this process. Writes its pid
 * next to its data, and stops cleanly on SIGINT/SIGTERM.
 */
export async function runNode(configFile: string): Promise<void> {
  const config = loadNodeConfig(configFile);
  const { logger } = createLogger(config.logLevel, { node: config.id });
  const node = await BankNode.open(config, logger);
  await node.start();
  const server = await startHttpServer(node, config.host, config.port + 1, logger);
  writeFileSync(join(config.dataDir, "pid"), `${process.pid}\n`);
  logger.info("node started", { raft: `${config.host}:${config.port}`, http: node.urlOf(config.id), transport: config.transport, log: config.log, snapshots: config.snapshots, ...s3Fields(config) });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping");
    // Keep-alive connections (the dashboard's polls) would hold the close open.
    server.server.closeAllConnections();
    await Promise.all([server.close(), node.stop()]);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

/** Where an S3 node keeps its snapshots, for the log (never the credentials). */
function s3Fields(config: NodeConfig): Record<string, string> {
  if (config.s3 === undefined) return {};
  return { s3: `s3://${config.s3.bucket}/${s3PrefixOf(config)}`, s3Endpoint: config.s3.endpoint ?? `AWS ${config.s3.region}` };
}
