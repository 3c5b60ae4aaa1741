#!/usr/bin/env node
// bank-demo: run a bank cluster (`cluster`), one node (`node`), or talk to one.
import { Command, InvalidArgumentError, Option } from "commander";
import { ConfigError } from "./config/node-config.js";
import { launchCluster } from "./cluster/launch-cluster.js";
import { abortAddNode, addNode, addNodeTimeoutSeconds } from "./client/add-node.js";
import { balances, clientFor, defaultTimeoutSeconds, openAccount, removeNode, showStatus, snapshot, transfer, transferLeadership } from "./client/commands.js";
import { runNode } from "./node/run-node.js";

function integer(min: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}

const program = new Command("bank-demo").description("A bank on a @raft cluster: start it, run nodes, and talk to it.");
const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number of seconds");
  return n;
};
/** Every client command: where to start looking for the cluster, and one deadline for the whole command. */
const target = (c: Command, timeout = defaultTimeoutSeconds) =>
  c
    .option("--url <urls>", "node URL(s), comma-separated: where to start; requests go to the current members")
    .option("--dir <dir>", "cluster directory to find nodes in", ".bank-demo")
    .option("--timeout <seconds>", "one deadline for the whole command: retries (leader changes, elections) stop then", seconds, timeout);

program
  .command("cluster")
  .description("start a local cluster of N node processes; Ctrl-C stops it")
  .option("--nodes <n>", "number of nodes", integer(1), 3)
  .option("--dir <dir>", "where configs, data, pids and logs go", ".bank-demo")
  .addOption(new Option("--transport <kind>", "network transport").choices(["grpc", "ws"]).default("grpc"))
  .addOption(new Option("--log <kind>", "log store").choices(["sqlite", "memory"]).default("sqlite"))
  .addOption(new Option("--snapshots <kind>", "snapshot store").choices(["disk", "s3"]).default("disk"))
  .option("--base-port <port>", "node i listens on P+2(i-1) (Raft) and the next port (HTTP)", integer(1), 7100)
  .option("--host <host>", "interface to listen on", "127.0.0.1")
  .option("--s3-endpoint <url>", "with --snapshots s3: an S3-compatible server (default: AWS S3, or a local server if no --s3-bucket either)")
  .option("--s3-bucket <name>", "with --snapshots s3: the bucket (it must exist); without it and --s3-endpoint, a local S3 server is started")
  .option("--s3-prefix <prefix>", "with --snapshots s3: key prefix of this cluster", "bank-demo/")
  .option("--s3-region <region>", "with --snapshots s3: the bucket's region", "us-east-1")
  .option("--s3-shared-prefix", "with --snapshots s3: every node in one prefix (followers copy nothing) instead of a prefix per node (followers read the leader's)")
  .option("--s3-port <port>", "with --snapshots s3 and no endpoint: the local S3 server's port (default: base port - 1)", integer(1))
  .action((o, command: Command) => {
    const s3Given = ["s3Endpoint", "s3Bucket", "s3Prefix", "s3Region", "s3SharedPrefix", "s3Port"].filter((k) => command.getOptionValueSource(k) === "cli");
    return launchCluster({
      nodes: o.nodes,
      dir: o.dir,
      transport: o.transport,
      log: o.log,
      snapshots: o.snapshots,
      basePort: o.basePort,
      host: o.host,
      s3: { endpoint: o.s3Endpoint, bucket: o.s3Bucket, prefix: o.s3Prefix, region: o.s3Region, shared: o.s3SharedPrefix === true, port: o.s3Port, given: s3Given },
    });
  });

program
  .command("node")
  .description("run one node")
  .requiredOption("--config <file>", "the node's config.json")
  .action((o) => runNode(o.config));

target(program.command("status").description("every current member's role, term, indexes and snapshot; removed nodes apart")).action((o) =>
  showStatus(clientFor(o), o.url === undefined ? o.dir : undefined),
);
target(program.command("open <id> <balance>").description("open an account with an initial balance (minor units)")).action((id: string, balance: string, o) =>
  openAccount(clientFor(o), id, integer(0)(balance)),
);
target(program.command("transfer <from> <to> <amount>").description("move money; retried with the same request id until definite or the deadline"))
  .option("--request-id <id>", "the idempotency key (default: a new UUID)")
  .action((from: string, to: string, amount: string, o) => transfer(clientFor(o), from, to, integer(1)(amount), o.requestId));
target(program.command("balances").description("all balances and their total (linearizable)"))
  .option("--stale", "answer from the node's local state")
  .action((o) => balances(clientFor(o), o.stale === true));
target(program.command("snapshot").description("take a snapshot now"))
  .option("--node <url>", "the node to snapshot (default: the leader)")
  .action((o) => snapshot(clientFor(o), o.node));
target(program.command("add-node").description("register and start node N beside the cluster, stream it the snapshot, make it a voter; run again to resume"), addNodeTimeoutSeconds)
  .requiredOption("--id <id>", "the new node's id", integer(1))
  .option("--abort", "undo: remove node N from the membership, stop it and delete its directory")
  .action((o) => (o.abort === true ? abortAddNode(clientFor(o), o.dir, o.id) : addNode(clientFor(o), o.dir, o.id)));
target(program.command("remove-node").description("remove node N from the cluster, stop its process, mark its directory removed"))
  .requiredOption("--id <id>", "the node to remove", integer(1))
  .action((o) => removeNode(clientFor(o), o.id, o.dir));
target(program.command("transfer-leadership").description("hand leadership to node N"))
  .requiredOption("--to <id>", "the next leader", integer(1))
  .action((o) => transferLeadership(clientFor(o), o.to));

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `bank-demo: ${(error as Error).message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
