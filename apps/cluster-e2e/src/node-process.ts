#!/usr/bin/env node
// One Raft node per process, for multi-process tests: a chosen transport and
// log, disk snapshots, and a register state machine, driven by
// its parent over IPC. Usage: node dist/node-process.js CONFIG.json
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { consoleLogger, isRaftError, type Logger } from "@raft/core/contracts";
import { RaftNode } from "@raft/core/runtime";
import { RegisterMachine } from "./register-machine.js";
import { DiskSnapshotStore } from "@raft/snapshot-store-disk";
import { openLog } from "./open-log.js";
import { openTransport } from "./open-transport.js";
import type { ControlReply, ControlRequest, ProcessConfig, ProcessStatus } from "./process-config.js";

// Written by the test harness, not by people: trusted as is.
const config = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as ProcessConfig;
const logger: Logger = consoleLogger({ node: config.id });
const machine = new RegisterMachine();
let snapshotsInstalled = 0;

const node = new RaftNode<number>({
  id: config.id,
  voters: config.voters,
  tickMs: 20,
  electionTicks: 10,
  snapshotEntries: config.snapshotEntries,
  keepTrailing: 20,
  log: await openLog(config.log, config.dir),
  snapshots: await DiskSnapshotStore.open({ dir: join(config.dir, "snapshots"), logger }),
  stateMachine: machine,
  transport: await openTransport({ kind: config.transport, id: config.id, clusterId: config.clusterId, port: config.port, peers: config.peers, logger }),
});
node.on("snapshot", ({ kind }) => kind === "installed" && snapshotsInstalled++);
node.on("error", ({ error }) => logger.error("node failed", { error: String(error) }));
await node.start();

function status(): ProcessStatus {
  const s = node.status();
  return {
    id: config.id,
    role: s.role,
    term: s.term,
    leader: s.leader,
    commit: s.commit,
    applied: machine.appliedIndex,
    values: machine.count,
    fingerprint: machine.digest(),
    snapshotsInstalled,
  };
}

async function handle(request: ControlRequest): Promise<unknown> {
  switch (request.op) {
    case "propose":
      return node.propose(new TextEncoder().encode(request.value));
    case "read":
      return node.read();
    case "status":
      return status();
    case "values":
      return machine.list();
  }
}

process.on("message", (request: ControlRequest) => {
  handle(request).then(
    (result) => process.send?.({ seq: request.seq, ok: true, result } satisfies ControlReply),
    (error: unknown) =>
      process.send?.({
        seq: request.seq,
        ok: false,
        error: { code: isRaftError(error) ? error.code : "Error", message: String(error), leaderHint: isRaftError(error) ? error.leaderHint : undefined },
      } satisfies ControlReply),
  );
});
process.on("SIGTERM", () => void node.stop().finally(() => process.exit(0)));
process.send?.({ seq: 0, ok: true, result: "started" } satisfies ControlReply);
