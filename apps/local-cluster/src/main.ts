#!/usr/bin/env node
// Composition only: three RaftNodes in one process over the in-memory
// transport, a tiny key-value state machine, a stream of writes, and one
// leader crash to show a re-election. Prints elections and commits.
// Usage: node dist/main.js [--seconds N]
import { isRaftError, NodeId } from "@raft/core";
import { RaftNode } from "@raft/core/runtime";
import { InMemoryNetwork, MemorySnapshotStore } from "@raft/core/testing";
import { MemoryLogStore } from "@raft/log-memory";
import { KeyValueMachine } from "./key-value-machine.js";

const args = process.argv.slice(2);
const secondsArg = args.indexOf("--seconds");
const seconds = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 8;
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error("usage: raft-local-cluster [--seconds N]  (N > 0)");
  process.exit(2);
}

const voters = [1, 2, 3].map(NodeId.of);
const network = new InMemoryNetwork();
const machines = new Map<NodeId, KeyValueMachine>();
const nodes = new Map<NodeId, RaftNode<string>>();
const started = performance.now();
const stamp = () => `${((performance.now() - started) / 1000).toFixed(2).padStart(6)}s`;

function startNode(id: NodeId): RaftNode<string> {
  const machine = new KeyValueMachine();
  const node = new RaftNode<string>({
    id,
    voters,
    tickMs: 50,
    electionTicks: 10,
    snapshotEntries: 40,
    keepTrailing: 10,
    log: new MemoryLogStore(),
    snapshots: new MemorySnapshotStore(),
    stateMachine: machine,
    transport: network.transport(id),
  });
  node.on("role", ({ role, term }) => console.log(`${stamp()} node ${id}: ${role} in term ${term}`));
  node.on("leader", ({ leader, term }) => leader !== 0 && console.log(`${stamp()} node ${id}: follows leader ${leader} (term ${term})`));
  node.on("snapshot", ({ kind, index, size }) => console.log(`${stamp()} node ${id}: ${kind} snapshot at ${index} (${size} bytes); log compacted`));
  node.on("commit", ({ index }) => index % 25 === 0 && console.log(`${stamp()} node ${id}: committed up to ${index}`));
  machines.set(id, machine);
  nodes.set(id, node);
  return node;
}

function leader(): RaftNode<string> | undefined {
  return [...nodes.values()].find((n) => !n.status().stopped && n.status().role === "leader");
}

for (const id of voters) await startNode(id).start();

let writes = 0;
let crashed = false;
const deadline = started + seconds * 1000;
while (performance.now() < deadline) {
  await new Promise((r) => setTimeout(r, 40));
  const l = leader();
  if (l === undefined) continue;
  const key = `k${writes % 10}`;
  try {
    const result = await l.propose(new TextEncoder().encode(`${key}=${writes}`));
    writes++;
    if (writes % 25 === 0) console.log(`${stamp()} write #${writes} applied on leader ${l.id}: ${result}`);
  } catch (e) {
    if (!isRaftError(e)) throw e;
    console.log(`${stamp()} write refused: ${e.code} (${e.message})`);
  }
  if (!crashed && performance.now() > started + (seconds * 1000) / 2) {
    crashed = true;
    console.log(`${stamp()} stopping leader ${l.id} to force an election`);
    await l.stop();
    nodes.delete(l.id);
    machines.delete(l.id);
  }
}

const l = leader();
if (l !== undefined) {
  const index = await l.read();
  console.log(`${stamp()} linearizable read at index ${index} on node ${l.id}: ${JSON.stringify(machines.get(l.id)?.snapshotView())}`);
}
for (const n of nodes.values()) await n.stop();
console.log(`${stamp()} done: ${writes} writes committed`);
